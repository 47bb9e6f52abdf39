// SPDX-License-Identifier: MIT
/*
 * core/ui/xfer.c, the encoding of slot images on the control channel
 * (docs/control.md, "Moving slot images"): base64 both ways against the
 * RFC 4648 vectors and every length, strict refusals that say where,
 * chunks whose CRC32C must match their data, all-zero chunks as a length.
 */
#include <kairos/ckpt_format.h>
#include <kairos/ui.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

static char text[CTL_DATA_LINE_MAX + 1];
static uint8_t bytes[CTL_XFER_CHUNK + 8];
static char why[160];

static void test_b64_rfc4648_vectors(void **state)
{
	static const char *const plain[] = { "",     "f",     "fo",    "foo",
					     "foob", "fooba", "foobar" };
	static const char *const coded[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
	};
	size_t n;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		n = xfer_b64_encode((const uint8_t *)plain[i], strlen(plain[i]),
				    text);
		assert_string_equal(text, coded[i]);
		assert_int_equal(n, strlen(coded[i]));
		assert_true(xfer_b64_decode(coded[i], bytes, sizeof(bytes), &n,
					    why, sizeof(why)));
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(bytes, plain[i], n);
	}
}

/* Every length up to a chunk, every byte value: decode(encode(x)) == x. */
static void test_b64_round_trip_every_length(void **state)
{
	static uint8_t in[CTL_XFER_CHUNK];
	uint32_t x = 7;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++) {
		x = x * 1103515245U + 12345U; /* any mix of values will do */
		in[i] = (uint8_t)(i < 256 ? i : x >> 24);
	}
	for (size_t len = 0; len <= sizeof(in); len += len < 300 ? 1 : 97) {
		size_t k = xfer_b64_encode(in, len, text);

		assert_int_equal(k, (len + 2) / 3 * 4);
		assert_true(xfer_b64_decode(text, bytes, CTL_XFER_CHUNK, &n,
					    why, sizeof(why)));
		assert_int_equal(n, len);
		assert_memory_equal(bytes, in, len);
	}
	/* A whole chunk is CTL_XFER_B64_MAX characters. */
	assert_int_equal(xfer_b64_encode(in, CTL_XFER_CHUNK, text),
			 CTL_XFER_B64_MAX);
}

static void refused(const char *in, size_t cap, const char *says)
{
	size_t n = 12345;

	why[0] = '\0';
	assert_false(xfer_b64_decode(in, bytes, cap, &n, why, sizeof(why)));
	assert_int_equal(n, 12345); /* nothing claimed */
	if (!strstr(why, says))
		fail_msg("'%s': reason '%s' lacks '%s'", in, why, says);
}

static void test_b64_refusals_say_what_and_where(void **state)
{
	(void)state;
	refused("Zm9", 16, "not base64 (a multiple of 4)");
	refused("Zm9vY!==", 16, "character 6 ('!')");
	refused("Zg==Zm8=", 16, "character 4 ('=')"); /* padding inside */
	refused("Z===", 16, "character 2 ('=')");
	refused("Zm9vYmFy", 5, "more than 5 bytes");
	refused("Zm9v Zm9", 16, "character 5 (' ')");
}

static void test_u64_parse(void **state)
{
	uint64_t v = 1;

	(void)state;
	assert_true(xfer_u64_parse("0", &v));
	assert_int_equal(v, 0);
	assert_true(xfer_u64_parse("9999999999999999999", &v));
	assert_true(v == 9999999999999999999ULL);
	assert_false(xfer_u64_parse("", &v));
	assert_false(xfer_u64_parse("-1", &v));
	assert_false(xfer_u64_parse("12a", &v));
	assert_false(xfer_u64_parse("10000000000000000000", &v)); /* 20 */
}

/* The data line of @data, its fields split: off, crc, data. */
static void split(char *line, char **off, char **crc, char **data)
{
	*off = strstr(line, "off=") + 4;
	*crc = strstr(line, " crc=") + 5;
	*data = strstr(line, " data=") + 6;
	(*off)[strcspn(*off, " ")] = '\0';
	(*crc)[strcspn(*crc, " ")] = '\0';
}

static void test_chunk_encode_parse_round_trip(void **state)
{
	static uint8_t in[CTL_XFER_CHUNK];
	static struct xfer_chunk c;
	char *off, *crc, *data, want[32];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	xfer_chunk_encode(15360, in, sizeof(in), text);
	snprintf(want, sizeof(want), "crc=%08x",
		 (unsigned int)ckpt_crc32c(0, in, sizeof(in)));
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "len=3072"));
	split(text, &off, &crc, &data);
	assert_true(xfer_chunk_parse(off, crc, data, &c, why, sizeof(why)));
	assert_true(c.offset == 15360);
	assert_int_equal(c.len, sizeof(in));
	assert_memory_equal(c.data, in, sizeof(in));
	/* Longer than a chunk: only a chunk is encoded. */
	xfer_chunk_encode(0, bytes, CTL_XFER_CHUNK + 8, text);
	assert_non_null(strstr(text, " len=3072 "));
	assert_int_equal(strlen(strstr(text, "data=") + 5), CTL_XFER_B64_MAX);
}

static void test_zero_chunk_is_a_length(void **state)
{
	static uint8_t in[CTL_XFER_CHUNK];

	(void)state;
	memset(in, 0, sizeof(in));
	xfer_chunk_encode(40, in, 100, text);
	assert_string_equal(text, "off=40 zero=100");
	in[99] = 1;
	xfer_chunk_encode(40, in, 100, text);
	assert_non_null(strstr(text, "len=100 crc="));
	assert_true(xfer_is_zero(in, 99));
	assert_false(xfer_is_zero(in, 100));
}

static void test_chunk_refusals(void **state)
{
	static struct xfer_chunk c;
	static uint8_t in[64];
	char crc[16], bad[16], *b64 = text;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xa5 ^ i);
	xfer_b64_encode(in, sizeof(in), b64);
	snprintf(crc, sizeof(crc), "%08x",
		 (unsigned int)ckpt_crc32c(0, in, sizeof(in)));
	snprintf(bad, sizeof(bad), "%08x",
		 (unsigned int)ckpt_crc32c(0, in, sizeof(in)) ^ 1U);
	assert_true(xfer_chunk_parse("64", crc, b64, &c, why, sizeof(why)));

	/* One flipped bit of the CRC: refused, naming offset and both. */
	assert_false(xfer_chunk_parse("64", bad, b64, &c, why, sizeof(why)));
	assert_non_null(strstr(why, "chunk at offset 64"));
	assert_non_null(strstr(why, crc));
	assert_non_null(strstr(why, bad));
	/* One changed character of the data: the same. */
	b64[10] = b64[10] == 'A' ? 'B' : 'A';
	assert_false(xfer_chunk_parse("64", crc, b64, &c, why, sizeof(why)));
	assert_non_null(strstr(why, "CRC32C"));

	assert_false(xfer_chunk_parse("6x", crc, b64, &c, why, sizeof(why)));
	assert_non_null(strstr(why, "offset '6x' is not a number"));
	assert_false(xfer_chunk_parse("0", "123", b64, &c, why, sizeof(why)));
	assert_non_null(strstr(why, "CRC '123' is not 8 hex digits"));
	assert_false(
		xfer_chunk_parse("0", "0000000g", b64, &c, why, sizeof(why)));
	assert_false(xfer_chunk_parse("0", crc, "", &c, why, sizeof(why)));
	assert_non_null(strstr(why, "no data"));
	/* More than a chunk of data. */
	memset(text, 'A', CTL_XFER_B64_MAX + 4);
	text[CTL_XFER_B64_MAX + 4] = '\0';
	assert_false(xfer_chunk_parse("0", crc, text, &c, why, sizeof(why)));
	assert_non_null(strstr(why, "more than 3072 bytes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_rfc4648_vectors),
		cmocka_unit_test(test_b64_round_trip_every_length),
		cmocka_unit_test(test_b64_refusals_say_what_and_where),
		cmocka_unit_test(test_u64_parse),
		cmocka_unit_test(test_chunk_encode_parse_round_trip),
		cmocka_unit_test(test_zero_chunk_is_a_length),
		cmocka_unit_test(test_chunk_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
