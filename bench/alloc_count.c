/*
 * alloc_count.c - LD_PRELOAD shim that counts allocator calls per process.
 *
 *   cc -O2 -shared -fPIC -o alloc_count.so alloc_count.c
 *   ALLOC_COUNT_DIR=/tmp/dir LD_PRELOAD=./alloc_count.so program ...
 *
 * Each process (and each child after fork) maps a small file
 * $ALLOC_COUNT_DIR/alloc.<pid> and increments its counters in place, so the
 * harness reads them at any moment without signalling the process (nginx
 * and HAProxy already own SIGUSR1/SIGUSR2): read, run N requests, read
 * again, divide the difference by N.
 *
 * File layout (little endian, 8-byte fields):
 *   magic "ALLOCCNT", pid, then the counters in enum order below.
 *
 * The real allocator is glibc's, reached through its exported __libc_*
 * entry points (no dlsym, which itself allocates). Counters are relaxed
 * atomics: exact totals across threads, no ordering needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pthread.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

enum { C_MALLOC, C_CALLOC, C_REALLOC, C_FREE, C_POSIX_MEMALIGN, C_ALIGNED_ALLOC,
       C_MEMALIGN, C_VALLOC, C_BYTES, C_N };

struct counts {
    char magic[8];
    uint64_t pid;
    uint64_t c[C_N];
};

static struct counts g_boot;            /* used until the file is mapped */
static struct counts *g_cnt = &g_boot;

#define COUNT(i) __atomic_fetch_add(&g_cnt->c[(i)], 1, __ATOMIC_RELAXED)
#define ADD_BYTES(n) __atomic_fetch_add(&g_cnt->c[C_BYTES], (uint64_t)(n), __ATOMIC_RELAXED)

/* Map (or re-map, in a fork child) this process's counter file. Only
 * syscalls and stack memory here: it runs inside fork. */
static void map_counts(void)
{
    const char *dir = getenv("ALLOC_COUNT_DIR");
    char path[512];
    int pid = (int)getpid();
    if (!dir || snprintf(path, sizeof(path), "%s/alloc.%d", dir, pid) >= (int)sizeof(path))
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (ftruncate(fd, sizeof(struct counts)) == 0) {
        void *p = mmap(NULL, sizeof(struct counts), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            struct counts *n = p;
            memcpy(n->magic, "ALLOCCNT", 8);
            n->pid = (uint64_t)pid;
            /* A fork child starts from zero: its counts are its own. */
            g_cnt = n;
        }
    }
    close(fd);
}

static void after_fork_child(void) { map_counts(); }

__attribute__((constructor)) static void alloc_count_init(void)
{
    map_counts();
    pthread_atfork(NULL, NULL, after_fork_child);
}

void *malloc(size_t n)
{
    COUNT(C_MALLOC);
    ADD_BYTES(n);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    COUNT(C_CALLOC);
    ADD_BYTES(n * m);
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    COUNT(C_REALLOC);
    ADD_BYTES(n);
    return __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total); /* counted as a realloc */
}

void free(void *p)
{
    if (p) /* free(NULL) is not an allocator call worth counting */
        COUNT(C_FREE);
    __libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    COUNT(C_POSIX_MEMALIGN);
    ADD_BYTES(n);
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = __libc_memalign(align, n);
    if (!p && n)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
    COUNT(C_ALIGNED_ALLOC);
    ADD_BYTES(n);
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
    COUNT(C_MEMALIGN);
    ADD_BYTES(n);
    return __libc_memalign(align, n);
}

void *valloc(size_t n)
{
    COUNT(C_VALLOC);
    ADD_BYTES(n);
    return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n);
}
