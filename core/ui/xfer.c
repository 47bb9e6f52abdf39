// SPDX-License-Identifier: MIT
/*
 * The encoding of slot images on the control channel (docs/control.md,
 * "Moving slot images"): chunks as base64 with their CRC32C, all-zero
 * chunks as a length. Pure functions, so that the host tests take them
 * apart byte by byte.
 */
#include <kairos/ckpt_format.h>
#include <kairos/ui.h>
#include <stdio.h>
#include <string.h>

static const char b64_abc[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t xfer_b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[n++] = b64_abc[(v >> 18) & 63U];
		out[n++] = b64_abc[(v >> 12) & 63U];
		out[n++] = left > 1 ? b64_abc[(v >> 6) & 63U] : '=';
		out[n++] = left > 2 ? b64_abc[v & 63U] : '=';
	}
	out[n] = '\0';
	return n;
}

/* The 6-bit value of base64 character @c, or -1. */
static int b64_value(char c)
{
	const char *p = c ? strchr(b64_abc, c) : NULL;

	return p ? (int)(p - b64_abc) : -1;
}

/* Decode the 4 characters at @q into up to 3 bytes; how many, or -1. */
static int b64_quad(const char *q, bool last, uint8_t b[3], size_t *bad)
{
	int pad = q[3] == '=' ? (q[2] == '=' ? 2 : 1) : 0;
	uint32_t v = 0;

	if (pad && !last) {
		*bad = 3;
		return -1;
	}
	for (int k = 0; k < 4 - pad; k++) {
		int x = b64_value(q[k]);

		if (x < 0) {
			*bad = (size_t)k;
			return -1;
		}
		v = v << 6 | (uint32_t)x;
	}
	v <<= 6 * pad;
	b[0] = (uint8_t)(v >> 16);
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)v;
	return 3 - pad;
}

bool xfer_b64_decode(const char *in, uint8_t *out, size_t cap, size_t *out_len,
		     char *why, size_t why_len)
{
	size_t len = strlen(in), n = 0;

	if (len % 4) {
		snprintf(why, why_len,
			 "data of %zu characters is not base64 (a multiple of 4)",
			 len);
		return false;
	}
	if (len / 4 * 3 > cap + 2) {
		snprintf(why, why_len,
			 "data of %zu characters is more than %zu bytes", len,
			 cap);
		return false;
	}
	for (size_t i = 0; i < len; i += 4) {
		uint8_t b[3];
		size_t bad = 0;
		int k = b64_quad(in + i, i + 4 == len, b, &bad);

		if (k < 0) {
			snprintf(why, why_len,
				 "data character %zu ('%c') is not base64",
				 i + bad + 1, in[i + bad]);
			return false;
		}
		if (n + (size_t)k > cap) {
			snprintf(why, why_len, "data is more than %zu bytes",
				 cap);
			return false;
		}
		memcpy(out + n, b, (size_t)k);
		n += (size_t)k;
	}
	*out_len = n;
	return true;
}

bool xfer_is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

bool xfer_u64_parse(const char *s, uint64_t *v)
{
	size_t n = strspn(s, "0123456789");

	if (!n || s[n] || n > 19)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	return true;
}

bool xfer_hex32_parse(const char *s, uint32_t *v)
{
	if (strlen(s) != 8 || strspn(s, "0123456789abcdefABCDEF") != 8)
		return false;
	*v = 0;
	for (int i = 0; i < 8; i++) {
		char c = s[i];
		uint32_t d = c <= '9' ? (uint32_t)(c - '0') :
			     c <= 'F' ? (uint32_t)(c - 'A' + 10) :
					(uint32_t)(c - 'a' + 10);

		*v = *v << 4 | d;
	}
	return true;
}

bool xfer_chunk_parse(const char *offset, const char *crc, const char *data,
		      struct xfer_chunk *out, char *why, size_t why_len)
{
	uint32_t want, got;

	if (!xfer_u64_parse(offset, &out->offset)) {
		snprintf(why, why_len, "offset '%.20s' is not a number",
			 offset);
		return false;
	}
	if (!xfer_hex32_parse(crc, &want)) {
		snprintf(why, why_len, "CRC '%.20s' is not 8 hex digits", crc);
		return false;
	}
	if (!xfer_b64_decode(data, out->data, sizeof(out->data), &out->len, why,
			     why_len))
		return false;
	if (!out->len) {
		snprintf(why, why_len, "the chunk has no data");
		return false;
	}
	got = ckpt_crc32c(0, out->data, out->len);
	if (got != want) {
		snprintf(why, why_len,
			 "chunk at offset %llu: CRC32C %08x of its %zu bytes is not %08x",
			 (unsigned long long)out->offset, (unsigned int)got,
			 out->len, (unsigned int)want);
		return false;
	}
	return true;
}

size_t xfer_chunk_encode(uint64_t off, const uint8_t *data, size_t len,
			 char *out)
{
	int n;

	if (len > CTL_XFER_CHUNK)
		len = CTL_XFER_CHUNK;
	if (xfer_is_zero(data, len)) {
		n = snprintf(out, CTL_DATA_LINE_MAX + 1, "off=%llu zero=%zu",
			     (unsigned long long)off, len);
		return n > 0 ? (size_t)n : 0;
	}
	n = snprintf(out, CTL_DATA_LINE_MAX + 1,
		     "off=%llu len=%zu crc=%08x data=", (unsigned long long)off,
		     len, (unsigned int)ckpt_crc32c(0, data, len));
	if (n <= 0)
		return 0;
	return (size_t)n + xfer_b64_encode(data, len, out + n);
}
