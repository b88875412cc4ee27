/*
 * canon.c - canonical JSON of the effective config, and its SHA-256.
 */
#include "canon.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema.h"

static char *render(const struct config *c, int redact, size_t flags, size_t *len)
{
    json_t *json = schema_to_json(&schema_config, c, redact);
    char *text = json ? json_dumps(json, flags) : NULL;
    json_decref(json);
    if (text == NULL) {
        fputs("kiln-gen: out of memory rendering JSON\n", stderr);
        abort();
    }
    /* jansson allocates with malloc: kiln-gen never installs other
     * allocation functions, so callers free() the text. */
    *len = strlen(text);
    return text;
}

char *canon_compact(const struct config *c, size_t *len)
{
    return render(c, 0, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII, len);
}

char *canon_pretty_redacted(const struct config *c, size_t *len)
{
    char *text = render(c, 1, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII, len);
    text = xrealloc(text, *len + 2);
    text[(*len)++] = '\n';
    text[*len] = '\0';
    return text;
}

void canon_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32) {
        fputs("kiln-gen: SHA-256 failed\n", stderr);
        abort();
    }
    for (unsigned int i = 0; i < md_len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}
