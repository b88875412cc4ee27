/*
 * output.c - temporary files renamed into place; nothing left on failure.
 */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const outputs[] = {"site.c", "locations.gperf", "locations.c"};

void output_remove(const char *dir)
{
    int saved = errno;
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        char *path = xasprintf("%s/%s", dir, outputs[i]);
        unlink(path);
        free(path);
    }
    errno = saved;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write data to a new temporary file in dir; returns its malloc'ed path or
 * NULL (errno set, nothing left behind). */
static char *write_temp(const char *dir, const char *name, const struct buf *data)
{
    char *path = xasprintf("%s/.%s.XXXXXX", dir, name);
    int fd = mkstemp(path);
    if (fd < 0)
        goto fail;
    if (fchmod(fd, 0644) != 0 || write_all(fd, buf_str(data), data->len) != 0) {
        int saved = errno;
        close(fd);
        unlink(path);
        errno = saved;
        goto fail;
    }
    if (close(fd) != 0) {
        int saved = errno;
        unlink(path);
        errno = saved;
        goto fail;
    }
    return path;
fail:
    free(path);
    return NULL;
}

int output_write(const char *dir, const struct gen_result *r)
{
    const struct buf *data[] = {&r->site_c, &r->gperf};
    char *tmp[2] = {NULL, NULL};
    int rc = -1, saved = 0;
    for (size_t i = 0; i < 2; i++) {
        tmp[i] = write_temp(dir, outputs[i], data[i]);
        if (tmp[i] == NULL)
            goto cleanup;
    }
    for (size_t i = 0; i < 2; i++) {
        char *final = xasprintf("%s/%s", dir, outputs[i]);
        int moved = rename(tmp[i], final);
        free(final);
        if (moved != 0)
            goto cleanup;
        free(tmp[i]);
        tmp[i] = NULL;
    }
    return 0;
cleanup:
    saved = errno;
    for (size_t i = 0; i < 2; i++) {
        if (tmp[i] != NULL)
            unlink(tmp[i]);
        free(tmp[i]);
    }
    output_remove(dir);
    errno = saved;
    return rc;
}
