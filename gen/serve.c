/*
 * serve.c - see serve.h.
 */
#include "serve.h"

#include <stdio.h>

#include "schema.h"

void serve_check(const struct config *c, struct diag *d)
{
    if (c->auth.enabled)
        diag_error(d, "$.auth.enabled", "authentication is not served by this kiln runtime "
                   "yet; a binary built from this config would expose the application");
    if (c->cors.enabled)
        diag_error(d, "$.cors.enabled", "CORS is not answered by this kiln runtime yet");
    const struct cfg_location *loc = c->locations.v;
    for (size_t i = 0; i < c->locations.n; i++) {
        char path[64];
        if (!schema_present(schema_location, &loc[i], "upstream"))
            continue;
        snprintf(path, sizeof path, "$.locations[%zu].upstream", i);
        diag_error(d, path, "cached upstream locations are not served by this kiln runtime "
                   "yet; use a \"return\" location or serve the path from php-fpm");
    }
}
