/* Allocation that cannot fail: on exhaustion the process ends with a message,
 * so callers carry no out-of-memory branches (as tmux and OpenBSD do). */
#ifndef TALAD_XALLOC_H
#define TALAD_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
/* Grows or shrinks; checks nmemb * size for overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies at most size-1 bytes and always terminates; returns strlen(src) so
 * that a result >= size means truncation. */
size_t strlcpy_t(char *dst, const char *src, size_t size);

#endif
