/*
 * http_reason.h - reason phrases of HTTP status codes (RFC 9110 section 15,
 * and the codes of RFC 6585 and RFC 8470 that sites return). One table for
 * the generator, which bakes them into `return` responses, and the runtime,
 * which writes them into its own responses.
 */
#ifndef KILN_HTTP_REASON_H
#define KILN_HTTP_REASON_H

/* The reason phrase of `status`, or "" for an unknown code. */
const char *http_reason(unsigned status);

#endif /* KILN_HTTP_REASON_H */
