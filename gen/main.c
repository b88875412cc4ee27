/*
 * main.c - kiln-gen's command line.
 *
 *   kiln-gen [--strict] --out DIR CONFIG.json   write DIR/site.c, DIR/locations.gperf
 *   kiln-gen [--strict] --check CONFIG.json     validate only
 *   kiln-gen [--strict] --canonical CONFIG.json print the canonical config (what
 *                                               `kiln --version` hashes)
 *   kiln-gen --doc                              print the key reference (Markdown)
 *   kiln-gen --version | --help
 *
 * Exit status: 0 done, 1 the config has errors (or warnings with --strict)
 * or output could not be written, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "gen.h"
#include "output.h"
#include "schema.h"

enum mode { MODE_NONE, MODE_OUT, MODE_CHECK, MODE_CANONICAL, MODE_DOC, MODE_VERSION, MODE_HELP };

struct args {
    enum mode mode;
    int strict;
    const char *out_dir;
    const char *config;
};

static void usage(FILE *out)
{
    fputs("usage: kiln-gen [--strict] --out DIR CONFIG.json\n"
          "       kiln-gen [--strict] --check CONFIG.json\n"
          "       kiln-gen [--strict] --canonical CONFIG.json\n"
          "       kiln-gen --doc | --version | --help\n"
          "Compiles a kiln site config into C (DIR/site.c, DIR/locations.gperf).\n"
          "  --out DIR     write the generated files into DIR\n"
          "  --check       validate only\n"
          "  --canonical   print the canonical config; its SHA-256 is what\n"
          "                `kiln --version` reports\n"
          "  --strict      treat warnings as errors\n"
          "  --doc         print the configuration reference as Markdown\n",
          out);
}

static int parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        enum mode m = MODE_NONE;
        if (strcmp(arg, "--strict") == 0) {
            a->strict = 1;
            continue;
        } else if (strcmp(arg, "--out") == 0) {
            if (++i == argc)
                return -1;
            a->out_dir = argv[i];
            m = MODE_OUT;
        } else if (strcmp(arg, "--check") == 0) {
            m = MODE_CHECK;
        } else if (strcmp(arg, "--canonical") == 0) {
            m = MODE_CANONICAL;
        } else if (strcmp(arg, "--doc") == 0) {
            m = MODE_DOC;
        } else if (strcmp(arg, "--version") == 0) {
            m = MODE_VERSION;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            m = MODE_HELP;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return -1;
        } else if (a->config == NULL) {
            a->config = arg;
            continue;
        } else {
            return -1;
        }
        if (a->mode != MODE_NONE)
            return -1;
        a->mode = m;
    }
    int needs_config = a->mode == MODE_OUT || a->mode == MODE_CHECK || a->mode == MODE_CANONICAL;
    if (a->mode == MODE_NONE || needs_config != (a->config != NULL))
        return -1;
    return 0;
}

/* The whole file, or NULL with errno set. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct buf b = BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        buf_free(&b);
        errno = saved ? saved : EIO;
        return NULL;
    }
    return buf_take(&b, len);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int run(const struct args *a)
{
    struct diag d = DIAG_INIT;
    struct gen_result r;
    struct gen_options opt = {.strict = a->strict, .check_fs = 1};
    size_t len;
    int status = 1;
    memset(&r, 0, sizeof r);
    char *text = read_file(a->config, &len);
    if (text == NULL) {
        fprintf(stderr, "%s: cannot read the config: %s\n", a->config, strerror(errno));
        goto done;
    }
    int rc = gen_run(text, len, base_name(a->config), &opt, &d, &r);
    diag_print(&d, a->config, stderr);
    if (rc != 0) {
        if (d.errors == 0)
            fprintf(stderr, "%s: warnings are errors with --strict\n", a->config);
        goto done;
    }
    if (a->mode == MODE_CANONICAL) {
        fwrite(r.canonical, 1, r.canonical_len, stdout);
        status = fflush(stdout) == 0 ? 0 : 1;
    } else if (a->mode == MODE_OUT) {
        if (output_write(a->out_dir, &r) != 0)
            fprintf(stderr, "%s: cannot write %s: %s\n", a->config, a->out_dir,
                    strerror(errno));
        else
            status = 0;
    } else {
        status = 0;
    }
done:
    if (status != 0 && a->mode == MODE_OUT)
        output_remove(a->out_dir);
    gen_result_free(&r);
    diag_free(&d);
    free(text);
    return status;
}

int main(int argc, char **argv)
{
    struct args a;
    if (parse_args(argc, argv, &a) != 0) {
        usage(stderr);
        return 2;
    }
    if (a.mode == MODE_HELP) {
        usage(stdout);
        return 0;
    }
    if (a.mode == MODE_VERSION) {
        printf("kiln-gen %s\n", KILN_VERSION);
        return 0;
    }
    if (a.mode == MODE_DOC) {
        struct buf doc = BUF_INIT;
        schema_doc(&doc);
        fwrite(buf_str(&doc), 1, doc.len, stdout);
        buf_free(&doc);
        return 0;
    }
    return run(&a);
}
