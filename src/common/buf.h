/* A growable byte buffer with a maximum size: everything read from the
 * network or a file is capped (as curl's dynbuf is). Always NUL-terminated. */
#ifndef TALAD_BUF_H
#define TALAD_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* appends that would grow len past max fail */
};

#define BUF_INIT(maxsize)                                                                          \
	{                                                                                          \
		NULL, 0, 0, (maxsize)                                                              \
	}

void buf_init(struct buf *b, size_t max);
/* Frees what the buffer holds; the struct can be reused after buf_init. */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* TALAD_OK, or TALAD_ETOOBIG when the result would exceed max (nothing appended). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (who frees it) and leaves the buffer empty. */
char *buf_detach(struct buf *b, size_t *len);
/* data, or "" when nothing was appended. */
const char *buf_str(const struct buf *b);

#endif
