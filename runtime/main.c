/*
 * main.c - the kiln binary's entry point.
 *
 * A kiln binary is one site: its behaviour is fixed by the generated
 * `site_root`. The command line can only ask what the binary is; nothing
 * here, in the environment or in any file changes what it does.
 *
 *   kiln                  serve the site
 *   kiln --version        version and SHA-256 of the canonical config
 *   kiln --print-config   the baked configuration (secrets redacted)
 *   kiln --help
 */
#include <stdio.h>
#include <string.h>

#include "server.h"
#include "site.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kiln [--version | --print-config | --help]\n"
            "Serves the site compiled into this binary (%s).\n"
            "The configuration is fixed at build time; there are no run-time options.\n",
            site_root.config_name);
}

static int check_site(const struct kiln_site *site)
{
    if (site->magic != KILN_SITE_MAGIC || site->abi != KILN_SITE_ABI) {
        fprintf(stderr, "kiln: site compiled for ABI %u, runtime expects %u: rebuild\n",
                site->abi, KILN_SITE_ABI);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const struct kiln_site *site = &site_root;

    if (check_site(site) != 0)
        return 70;
    if (argc == 1)
        return kiln_serve(site);
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("kiln %s\nconfig %s sha256:%s\n", KILN_VERSION, site->config_name,
               site->config_sha256);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--print-config") == 0) {
        fwrite(site->config_json.ptr, 1, site->config_json.len, stdout);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 64;
}
