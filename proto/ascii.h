/*
 * ascii.h - byte helpers the parsers share (one copy of each).
 */
#ifndef KILN_ASCII_H
#define KILN_ASCII_H

#include <stdint.h>

/* The value of a hex digit, either case, or -1. */
static inline int ascii_hex_value(uint8_t c)
{
    if ((unsigned)(c - '0') < 10u)
        return c - '0';
    if ((unsigned)((c | 0x20) - 'a') < 6u)
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* ASCII lower case of one byte (other bytes unchanged). */
static inline uint8_t ascii_lower(uint8_t c)
{
    return (unsigned)(c - 'A') < 26u ? (uint8_t)(c | 0x20) : c;
}

#endif /* KILN_ASCII_H */
