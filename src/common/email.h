/* E-mail addresses as Talad accepts them for receipts: a deliberately strict
 * subset of RFC 5321 that both the register and the back office check, so an
 * address the cashier typed can always be put in an SMTP envelope as is. */
#ifndef TALAD_EMAIL_H
#define TALAD_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#define EMAIL_ADDRESS_MAX 254 /* bytes, without the NUL (RFC 5321 path limit) */

/* True for local@domain where the local part (1..64 bytes) is dot-separated
 * atoms of letters, digits and !#$%&'*+/=?^_`{|}~- and the domain has at
 * least two dot-separated labels of letters, digits and inner hyphens (1..63
 * bytes each), the last one of letters only (2 or more, or an "xn--" IDN
 * label). No quoted local parts, no address literals, no comments, no
 * spaces, no non-ASCII. When the address is refused and why is not NULL,
 * *why is a static lower-case phrase saying what is wrong ("has no @"). */
bool email_address_valid(const char *s, const char **why);

#endif
