// kiln-fuzz: gen
/*
 * fuzz_gen_netaddr.c - host:port, CIDR, origin and URL parsers on arbitrary
 * bytes. The first byte picks the parser; the rest is its input.
 *
 * Properties checked besides memory safety:
 *   - a CIDR formats canonically and parses back to the same network;
 *   - an origin's lower-cased form is accepted again, unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cidr_roundtrip(const char *s, size_t len)
{
    struct cidr c, again;
    if (cidr_parse(s, len, &c) != NULL)
        return;
    char text[CIDR_TEXT_MAX];
    cidr_format(&c, text);
    if (cidr_parse(text, strlen(text), &again) != NULL || again.host_bits ||
        memcmp(again.addr, c.addr, 16) != 0 || again.prefix != c.prefix)
        abort();
}

static void origin_roundtrip(const char *s, size_t len)
{
    char *lower = malloc(len + 1), *twice = malloc(len + 1);
    int def;
    if (lower == NULL || twice == NULL)
        abort();
    if (origin_parse(s, len, lower, &def) == NULL) {
        if (origin_parse(lower, len, twice, &def) != NULL || memcmp(lower, twice, len) != 0)
            abort();
    }
    free(lower);
    free(twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    struct hostport hp;
    switch (data[0] % 4) {
    case 0:
        hostport_parse(s, len, &hp);
        break;
    case 1:
        cidr_roundtrip(s, len);
        break;
    case 2:
        origin_roundtrip(s, len);
        break;
    default:
        url_check(s, len);
        break;
    }
    return 0;
}
