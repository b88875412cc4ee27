/*
 * serve.h - settings the config language has but this kiln's runtime does
 * not serve yet.
 *
 * A binary that starts and then refuses to serve is a run-time
 * configuration error, which compiling the config exists to prevent; one
 * that serves without the feature (no authentication in front of the
 * application) is worse. So the generator refuses such a config, naming
 * the setting, and the build stops. Checked only on a config that is
 * otherwise valid, so the language's own diagnostics come first and alone.
 */
#ifndef KILN_GEN_SERVE_H
#define KILN_GEN_SERVE_H

#include "diag.h"
#include "model.h"

void serve_check(const struct config *c, struct diag *d);

#endif /* KILN_GEN_SERVE_H */
