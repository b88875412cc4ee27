/*
 * server.h - process lifecycle: start the worker threads, handle signals,
 * drain and exit.
 */
#ifndef KILN_SERVER_H
#define KILN_SERVER_H

#include "site.h"

/* Serve `site` until SIGTERM/SIGINT and a graceful drain. Returns the
 * process exit status (0 after a clean shutdown). */
int kiln_serve(const struct kiln_site *site);

#endif /* KILN_SERVER_H */
