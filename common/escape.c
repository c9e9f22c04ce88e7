/* Escaping text from files for messages, so that a tensor name holding a newline or a terminal
 * escape sequence cannot split a message or reach a terminal raw. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define CUT "..."

/* The escaped form of one byte into out; returns its length (1 to 4). */
static size_t escape_byte(unsigned char c, char out[5]) {
  static const char special[] = "\\\n\t\r", letter[] = "\\ntr";
  const char *at = c ? strchr(special, c) : NULL;
  if (at) {
    out[0] = '\\';
    out[1] = letter[at - special];
    return 2;
  }
  if (c >= 0x20 && c < 0x7f) {
    out[0] = (char)c;
    return 1;
  }
  return (size_t)snprintf(out, 5, "\\x%02x", c);
}

char *recur_escape_into(char *dst, size_t size, const char *src, size_t len) {
  const unsigned char *s = (const unsigned char *)src;
  char e[5];
  /* Whether the whole escaped text fits; if not, room is kept for CUT after a prefix. */
  size_t full = 0;
  for (size_t i = 0; i < len && full < size; i++)
    full += escape_byte(s[i], e);
  int cut = full >= size;
  size_t room = size - 1 - (cut ? strlen(CUT) : 0), used = 0;
  for (size_t i = 0; i < len; i++) {
    size_t n = escape_byte(s[i], e);
    if (used + n > room)
      break;
    memcpy(dst + used, e, n);
    used += n;
  }
  if (cut) {
    memcpy(dst + used, CUT, strlen(CUT));
    used += strlen(CUT);
  }
  dst[used] = '\0';
  return dst;
}

recur_escaped recur_escape_n(const char *src, size_t len) {
  recur_escaped out;
  recur_escape_into(out.s, sizeof out.s, src, len);
  return out;
}

recur_escaped recur_escape(const char *src) { return recur_escape_n(src, strlen(src)); }

/* Whether s holds a byte that would break a message's line or reach a terminal as a control. */
static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return 1;
  return 0;
}

const char *recur_one_line(char *buf, size_t size, const char *text) {
  return has_control(text) ? recur_escape_into(buf, size, text, strlen(text)) : text;
}
