/* UTF-8 text from people and peers: one decoder and one check that names,
 * titles and messages are printable before they reach JSON, a receipt or a
 * terminal. */
#ifndef TALAD_TEXT_H
#define TALAD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the UTF-8 sequence at s, of which len bytes may be read. Returns
 * its length (1 to 4) with the code point in *cp, or 0 for an invalid
 * sequence: a bad lead or continuation byte, one cut short by len, an
 * overlong form, a UTF-16 surrogate or a value past U+10FFFF. */
size_t text_utf8_next(const char *s, size_t len, uint32_t *cp);

/* The length of the longest valid UTF-8 prefix of the len bytes at s. */
size_t text_utf8_valid(const char *s, size_t len);

/* True for C0 controls, DEL and C1 controls (U+0080..U+009F). */
bool text_is_control(uint32_t cp);

/* True when the len bytes at s are valid UTF-8 without control characters. */
bool text_clean(const char *s, size_t len);

/* text_clean for a string that must be NUL-terminated within max bytes. */
bool text_ok(const char *s, size_t max);

#endif
