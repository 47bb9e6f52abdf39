// SPDX-License-Identifier: MIT
/*
 * The control channel (docs/control.md): requests "<tag> <verb> [args]"
 * on the console, answered by data lines "@<tag> - key=value ..." and one
 * final line "@<tag> <status> <message>". Every output line is one
 * console_write(), so it never interleaves with a guest's labelled lines
 * or another CPU's messages.
 */
#include <kairos/ckpt.h>
#include <kairos/compiler.h>
#include <kairos/console.h>
#include <kairos/time.h>
#include <kairos/ui.h>
#include <kairos/vdev.h>
#include <kairos/version.h>
#include <kairos/vm.h>
#include <kairos/vm_events.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CTRL_A 0x01
#define CTRL_U 0x15
#define OUT_MAX 256
#define MSG_MAX 160
#define BLANKS " \t"

/* The request being received. */
static struct {
	/* A `put` may be up to CTL_DATA_LINE_MAX, any other CTL_LINE_MAX. */
	char line[CTL_DATA_LINE_MAX + 1];
	size_t len;
	bool too_long; /* characters past the limit were dropped */
	bool bad_char; /* a control or non-ASCII byte was received */
	bool escape;   /* Ctrl-A seen: drop the next key */
} in;

/*
 * One output line "@<tag> <kind> <text>\n" in a single write. Control
 * characters become blanks (a reason from elsewhere must not end the line
 * early); a line too long for the buffer is cut but still ends.
 */
static void vout(const char *tag, const char *kind, const char *fmt, va_list ap)
{
	char buf[OUT_MAX];
	int n = snprintf(buf, sizeof(buf) - 1, "@%s %s", tag, kind);
	size_t len;

	if (n < 0)
		return;
	len = (size_t)n < sizeof(buf) - 1 ? (size_t)n : sizeof(buf) - 2;
	n = vsnprintf(buf + len, sizeof(buf) - 1 - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < sizeof(buf) - 1 - len ?
			       (size_t)n :
			       sizeof(buf) - 2 - len;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < ' ' || buf[i] == 0x7f)
			buf[i] = ' ';
	buf[len++] = '\n';
	console_write(buf, len);
}

static void PRINTF_LIKE(3, 4)
	out(const char *tag, const char *kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout(tag, kind, fmt, ap);
	va_end(ap);
}

#define row(tag, ...) out(tag, "- ", __VA_ARGS__)

void ctl_row(const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout(tag, "- ", fmt, ap);
	va_end(ap);
}

void ctl_row_text(const char *tag, const char *text, size_t len)
{
	/* Boot CPU only (the console task): one static line. */
	static char buf[CTL_TAG_MAX + 4 + CTL_DATA_LINE_MAX + 2];
	int n = snprintf(buf, sizeof(buf), "@%s - ", tag);

	if (n < 0)
		return;
	if (len > sizeof(buf) - 1 - (size_t)n)
		len = sizeof(buf) - 1 - (size_t)n;
	memcpy(buf + n, text, len);
	buf[(size_t)n + len] = '\n';
	console_write(buf, (size_t)n + len + 1);
}

/* The final line of the response to @tag. */
static void PRINTF_LIKE(3, 4)
	finish(const char *tag, enum ctl_status st, const char *fmt, ...)
{
	char kind[8];
	va_list ap;

	snprintf(kind, sizeof(kind), "%u ", (unsigned int)st);
	va_start(ap, fmt);
	vout(tag, kind, fmt, ap);
	va_end(ap);
}

static bool tag_valid(const char *t)
{
	size_t n = strlen(t);

	return n && n <= CTL_TAG_MAX &&
	       strspn(t, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n &&
	       strcmp(t, "event") != 0 && strcmp(t, "ctl") != 0;
}

/* Next blank-separated word of *@p, NUL-terminated in place, or NULL. */
static char *word(char **p)
{
	char *w = *p + strspn(*p, BLANKS);
	size_t n = strcspn(w, BLANKS);

	if (!n)
		return NULL;
	*p = w + n;
	if (**p)
		*(*p)++ = '\0';
	return w;
}

enum ctl_status ctl_parse(char *line, struct ctl_request *req, const char **why)
{
	char *p = line, *w;

	memset(req, 0, sizeof(*req));
	w = word(&p);
	if (!w || !tag_valid(w)) {
		*why = "bad tag (1-16 of A-Z a-z 0-9 _ -, not 'event' or 'ctl')";
		return CTL_BAD_REQUEST;
	}
	req->tag = w;
	req->verb = word(&p);
	if (!req->verb) {
		*why = "missing verb";
		return CTL_BAD_REQUEST;
	}
	while ((w = word(&p))) {
		if (req->argc == CTL_ARGS_MAX) {
			*why = "too many arguments";
			return CTL_BAD_REQUEST;
		}
		req->argv[req->argc++] = w;
	}
	return CTL_OK;
}

enum ctl_status ctl_slot_parse(const char *s, unsigned int *slot, char *why,
			       size_t why_len)
{
	size_t n = strspn(s, "0123456789");
	unsigned int nr = ckpt_nr_slots();
	unsigned long v = 0;

	if (!n || s[n] || n > 9) {
		snprintf(why, why_len, "slot '%.16s' is not a number", s);
		return CTL_BAD_REQUEST;
	}
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (v >= nr) {
		if (nr)
			snprintf(why, why_len, "no slot %lu (slots 0-%u)", v,
				 nr - 1);
		else
			snprintf(why, why_len,
				 "no slot %lu (there are no checkpoint slots)",
				 v);
		return CTL_NO_SLOT;
	}
	*slot = (unsigned int)v;
	return CTL_OK;
}

bool ctl_policy_parse(const char *s, enum ckpt_policy *policy)
{
	if (!s || !strcmp(s, "pause"))
		*policy = CKPT_POLICY_PAUSE;
	else if (!strcmp(s, "catch-up"))
		*policy = CKPT_POLICY_CATCHUP;
	else
		return false;
	return true;
}

/* What a verb gets: the request, room for the final line's message. */
struct ctl_call {
	const char *tag;
	const struct ctl_request *req;
	char msg[MSG_MAX];
};

static struct vm *find_vm(struct ctl_call *c, const char *name)
{
	struct vm *vm = vm_by_name(name);

	if (!vm)
		snprintf(c->msg, sizeof(c->msg), "no VM named '%s'", name);
	return vm;
}

static const char *state_of(const struct vm *vm)
{
	return vm_cmd_state(vm);
}

static void state_row(struct ctl_call *c, const struct vm *vm)
{
	row(c->tag, "vm=%s state=%s", vm->cfg->name, state_of(vm));
}

/* rx_buffer= promises a pipelining client room for three whole `put`s. */
_Static_assert(CONSOLE_RX_BUFFER >= 3U * (CTL_DATA_LINE_MAX + 1U),
	       "the console's input buffer holds three put lines");

static enum ctl_status verb_hello(struct ctl_call *c)
{
	char version[48];

	/* A value is one word: "0.3 (g1234abcd)" becomes "0.3_(g1234abcd)". */
	snprintf(version, sizeof(version), "%s", KAIROS_VERSION);
	for (char *p = version; *p; p++)
		if (*p == ' ')
			*p = '_';
	row(c->tag,
	    "protocol=%u kairos=%s vms=%u slots=%u freq=%llu rx_buffer=%u",
	    CTL_PROTOCOL, version, vm_count, ckpt_nr_slots(),
	    (unsigned long long)time_freq(), CONSOLE_RX_BUFFER);
	snprintf(c->msg, sizeof(c->msg), "Kairos %s, control protocol %u",
		 KAIROS_VERSION, CTL_PROTOCOL);
	return CTL_OK;
}

static enum ctl_status verb_list(struct ctl_call *c)
{
	for (unsigned int i = 0; i < vm_count; i++) {
		struct vm_cmd_counts n;

		vm_cmd_counts(&vms[i], &n);
		row(c->tag, "vm=%s id=%u state=%s vcpus=%u exits=%llu",
		    vms[i].cfg->name, i, state_of(&vms[i]), vms[i].nr_vcpus,
		    (unsigned long long)n.exits);
	}
	snprintf(c->msg, sizeof(c->msg), "%u VMs", vm_count);
	return CTL_OK;
}

static enum ctl_status verb_info(struct ctl_call *c)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);

	if (!vm)
		return CTL_NO_VM;
	row(c->tag,
	    "vm=%s id=%u state=%s vcpus=%u mem=%llu ipa=0x%llx priority=%u",
	    vm->cfg->name, vm->id, state_of(vm), vm->nr_vcpus,
	    (unsigned long long)vm->cfg->mem_size,
	    (unsigned long long)ipa_addr(vm->cfg->mem_ipa), vm->cfg->priority);
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		const struct vcpu *v = &vm->vcpus[k];

		row(c->tag, "vcpu=%u cpu=%u run=%s", k,
		    __atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE),
		    vm_cmd_run_state(v));
	}
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++) {
		struct vm_cmd_shmem m;

		vm_cmd_shmem(vm, k, &m);
		row(c->tag,
		    "shmem=%u index=%u access=%s ipa=0x%llx size=%llu rung=%llu coalesced=%llu bad=%llu dropped=%llu received=%llu",
		    m.region, m.index, m.ro ? "ro" : "rw",
		    (unsigned long long)m.ipa, (unsigned long long)m.size,
		    (unsigned long long)m.bells.rung,
		    (unsigned long long)m.bells.coalesced,
		    (unsigned long long)m.bells.bad,
		    (unsigned long long)m.bells.dropped,
		    (unsigned long long)m.bells.received);
	}
	snprintf(c->msg, sizeof(c->msg), "info");
	return CTL_OK;
}

static enum ctl_status verb_counters(struct ctl_call *c)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);
	struct vm_cmd_counts n;
	const struct ckpt_stats *s = &n.ckpt;

	if (!vm)
		return CTL_NO_VM;
	vm_cmd_counts(vm, &n);
	row(c->tag,
	    "vm=%s state=%s exits=%llu migrations=%llu checkpoints=%llu restores=%llu incremental=%llu pages_copied=%llu last_us=%llu last_ticks=%llu",
	    vm->cfg->name, state_of(vm), (unsigned long long)n.exits,
	    (unsigned long long)n.migrations,
	    (unsigned long long)s->checkpoints, (unsigned long long)s->restores,
	    (unsigned long long)s->incremental,
	    (unsigned long long)s->pages_copied,
	    (unsigned long long)time_ticks_to_us(s->last_ticks),
	    (unsigned long long)s->last_ticks);
	for (unsigned int k = 0; k < vm->nr_vcpus; k++)
		row(c->tag, "vcpu=%u exits=%llu migrations=%llu", k,
		    (unsigned long long)vm->vcpus[k].exits,
		    (unsigned long long)vm->vcpus[k].migrations);
	snprintf(c->msg, sizeof(c->msg), "counters");
	return CTL_OK;
}

static enum ctl_status pause_resume(struct ctl_call *c, bool pause)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);
	struct vm_cmd_result r;

	if (!vm)
		return CTL_NO_VM;
	vm_cmd_pause(vm, pause, &r);
	if (r.st == VM_CMD_BAD_STATE) {
		snprintf(c->msg, sizeof(c->msg),
			 "VM %s is stopped ('start' boots it again)",
			 vm->cfg->name);
		return CTL_BAD_STATE;
	}
	state_row(c, vm);
	snprintf(c->msg, sizeof(c->msg), "%s%s",
		 r.st == VM_CMD_ALREADY ? "already " : "",
		 pause ? "paused" : "running");
	return CTL_OK;
}

static enum ctl_status verb_pause(struct ctl_call *c)
{
	return pause_resume(c, true);
}

static enum ctl_status verb_resume(struct ctl_call *c)
{
	return pause_resume(c, false);
}

static enum ctl_status verb_reset(struct ctl_call *c)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);
	struct vm_cmd_result r;

	if (!vm)
		return CTL_NO_VM;
	vm_cmd_reset(vm, &r);
	if (r.st == VM_CMD_BAD_STATE) {
		snprintf(c->msg, sizeof(c->msg), "VM %s is being reset already",
			 vm->cfg->name);
		return CTL_BAD_STATE;
	}
	state_row(c, vm);
	snprintf(c->msg, sizeof(c->msg), "reset");
	return CTL_OK;
}

static enum ctl_status verb_stop(struct ctl_call *c)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);
	struct vm_cmd_result r;

	if (!vm)
		return CTL_NO_VM;
	vm_cmd_stop(vm, "control channel 'stop'", &r);
	state_row(c, vm);
	snprintf(c->msg, sizeof(c->msg), "%s",
		 r.st == VM_CMD_DONE ? "stopped" : "already stopped");
	return CTL_OK;
}

static enum ctl_status verb_start(struct ctl_call *c)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);
	struct vm_cmd_result r;

	if (!vm)
		return CTL_NO_VM;
	vm_cmd_start(vm, &r);
	if (r.st != VM_CMD_DONE) {
		snprintf(c->msg, sizeof(c->msg),
			 "VM %s is %s, not stopped ('reset' reboots it)",
			 vm->cfg->name, state_of(vm));
		return CTL_BAD_STATE;
	}
	state_row(c, vm);
	snprintf(c->msg, sizeof(c->msg), "%s",
		 vm->load.image ? "started from its loaded kernel" : "started");
	return CTL_OK;
}

/* The VM and slot of "<vm> <slot>"; CTL_OK or why not in c->msg. */
static enum ctl_status vm_and_slot(struct ctl_call *c, struct vm **vm,
				   unsigned int *slot)
{
	enum ctl_status st =
		ctl_slot_parse(c->req->argv[1], slot, c->msg, sizeof(c->msg));

	if (st == CTL_BAD_REQUEST)
		return st;
	*vm = find_vm(c, c->req->argv[0]);
	if (!*vm)
		return CTL_NO_VM;
	return st;
}

static enum ctl_status verb_checkpoint(struct ctl_call *c)
{
	struct vm_cmd_result r;
	unsigned int slot;
	struct vm *vm;
	enum ctl_status st = vm_and_slot(c, &vm, &slot);

	if (st != CTL_OK)
		return st;
	vm_cmd_checkpoint(vm, slot, &r);
	if (r.st != VM_CMD_DONE) {
		snprintf(c->msg, sizeof(c->msg), "%s", r.why);
		return CTL_FAILED;
	}
	row(c->tag, "vm=%s slot=%u size=%llu us=%llu ticks=%llu", vm->cfg->name,
	    slot, (unsigned long long)r.size,
	    (unsigned long long)time_ticks_to_us(r.ticks),
	    (unsigned long long)r.ticks);
	snprintf(c->msg, sizeof(c->msg), "checkpointed");
	return CTL_OK;
}

static enum ctl_status verb_restore(struct ctl_call *c)
{
	enum ckpt_policy policy;
	struct vm_cmd_result r;
	unsigned int slot;
	struct vm *vm;
	enum ctl_status st;

	if (!ctl_policy_parse(c->req->argc > 2 ? c->req->argv[2] : NULL,
			      &policy)) {
		snprintf(c->msg, sizeof(c->msg),
			 "policy must be 'pause' or 'catch-up'");
		return CTL_BAD_REQUEST;
	}
	st = vm_and_slot(c, &vm, &slot);
	if (st != CTL_OK)
		return st;
	vm_cmd_restore(vm, slot, policy, &r);
	if (r.st != VM_CMD_DONE) {
		snprintf(c->msg, sizeof(c->msg), "%s", r.why);
		return CTL_FAILED;
	}
	row(c->tag,
	    "vm=%s slot=%u state=%s pages_copied=%llu us=%llu ticks=%llu",
	    vm->cfg->name, slot, state_of(vm),
	    (unsigned long long)r.pages_copied,
	    (unsigned long long)time_ticks_to_us(r.ticks),
	    (unsigned long long)r.ticks);
	snprintf(c->msg, sizeof(c->msg), "restored");
	return CTL_OK;
}

static enum ctl_status verb_slots(struct ctl_call *c)
{
	unsigned int nr = ckpt_nr_slots();

	/* Only finished images: a checkpoint's CRC is waited for. */
	ckpt_seal_all();
	for (unsigned int i = 0; i < nr; i++) {
		struct ckpt_slot_info s;

		if (!ckpt_slot_info(i, &s))
			continue;
		row(c->tag,
		    "slot=%u state=%s verified=%u vm=%s size=%llu capacity=%llu vcount=%llu vtime_us=%llu hold_ticks=%llu crc_ticks=%llu",
		    i, s.used ? "used" : "empty", s.verified ? 1U : 0U,
		    s.used && s.vm[0] ? s.vm : "-",
		    (unsigned long long)(s.used ? s.size : 0),
		    (unsigned long long)s.capacity,
		    (unsigned long long)(s.used ? s.vcount : 0),
		    (unsigned long long)(s.used ? time_ticks_to_us(s.vcount) :
						  0),
		    (unsigned long long)(s.used ? s.hold_ticks : 0),
		    (unsigned long long)(s.used ? s.crc_ticks : 0));
	}
	snprintf(c->msg, sizeof(c->msg), "%u slots", nr);
	return CTL_OK;
}

#define XFER_VERB(name, fn)                                        \
	static enum ctl_status name(struct ctl_call *c)            \
	{                                                          \
		return fn(c->tag, c->req, c->msg, sizeof(c->msg)); \
	}
XFER_VERB(verb_export, ctl_xfer_export)
XFER_VERB(verb_import, ctl_xfer_import)
XFER_VERB(verb_put, ctl_xfer_put)
XFER_VERB(verb_zero, ctl_xfer_zero)
XFER_VERB(verb_import_status, ctl_xfer_status)
XFER_VERB(verb_import_end, ctl_xfer_end)
XFER_VERB(verb_import_abort, ctl_xfer_abort)
XFER_VERB(verb_load_image, ctl_xfer_load_image)
XFER_VERB(verb_load_revert, ctl_xfer_load_revert)

static enum ctl_status verb_exit(struct ctl_call *c)
{
	console_set_framed(false);
	snprintf(c->msg, sizeof(c->msg), "back to the shell");
	return CTL_OK;
}

/*
 * Type a line into the VM's UART: the words, one space between them, then
 * CR (Enter). All of it or, if the receive FIFO fills, what fitted.
 */
static enum ctl_status verb_input(struct ctl_call *c)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);
	char line[CTL_LINE_MAX + 2];
	size_t len = 0, sent = 0;

	if (!vm)
		return CTL_NO_VM;
	for (unsigned int i = 1; i < c->req->argc; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
					i > 1 ? " " : "", c->req->argv[i]);
	line[len++] = '\r';
	while (sent < len && vuart_receive(vm, line[sent]))
		sent++;
	row(c->tag, "vm=%s chars=%zu", vm->cfg->name, sent);
	if (sent != len) {
		snprintf(c->msg, sizeof(c->msg),
			 "the receive FIFO of %s is full: %zu of %zu characters taken",
			 vm->cfg->name, sent, len);
		return CTL_FAILED;
	}
	snprintf(c->msg, sizeof(c->msg), "typed");
	return CTL_OK;
}

/* The hex digit @c's value, or -1. */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode @text (guest output's encoding, docs/control.md: `\\` a
 * backslash, `\xNN` any byte) into @out; its length, or -1 with why in
 * @msg (the character position of the bad escape).
 */
static long type_decode(const char *text, char *out, size_t cap, char *msg,
			size_t msg_len)
{
	size_t n = 0;

	for (size_t i = 0; text[i]; i++) {
		char c = text[i];

		if (c == '\\' && text[i + 1] == '\\') {
			i++;
		} else if (c == '\\') {
			int hi = text[i + 1] == 'x' ? hex_digit(text[i + 2]) :
						      -1;
			int lo = hi >= 0 ? hex_digit(text[i + 3]) : -1;

			if (lo < 0) {
				snprintf(msg, msg_len,
					 "character %zu: a backslash starts \\\\ or \\xNN",
					 i + 1);
				return -1;
			}
			c = (char)(hi << 4 | lo);
			i += 3;
		}
		if (n == cap) {
			snprintf(msg, msg_len, "more than %zu characters", cap);
			return -1;
		}
		out[n++] = c;
	}
	return (long)n;
}

/*
 * Type bytes into the VM's UART as they are (no Enter added): @text in
 * the escape encoding of guest output, so blanks (\x20), CR (\x0d) and
 * control characters (\x03) go too. What fitted in the receive FIFO if
 * it fills.
 */
static enum ctl_status verb_type(struct ctl_call *c)
{
	struct vm *vm = find_vm(c, c->req->argv[0]);
	char bytes[CTL_LINE_MAX];
	long len;
	long sent = 0;

	if (!vm)
		return CTL_NO_VM;
	len = type_decode(c->req->argv[1], bytes, sizeof(bytes), c->msg,
			  sizeof(c->msg));
	if (len < 0)
		return CTL_BAD_REQUEST;
	while (sent < len && vuart_receive(vm, bytes[sent]))
		sent++;
	row(c->tag, "vm=%s chars=%ld", vm->cfg->name, sent);
	if (sent != len) {
		snprintf(c->msg, sizeof(c->msg),
			 "the receive FIFO of %s is full: %ld of %ld characters taken",
			 vm->cfg->name, sent, len);
		return CTL_FAILED;
	}
	snprintf(c->msg, sizeof(c->msg), "typed");
	return CTL_OK;
}

struct ctl_verb {
	const char *name;
	unsigned int min_args, max_args;
	const char *usage;
	enum ctl_status (*run)(struct ctl_call *c);
};

static const struct ctl_verb verbs[] = {
	{ "hello", 0, 0, "hello", verb_hello },
	{ "version", 0, 0, "version", verb_hello },
	{ "list", 0, 0, "list", verb_list },
	{ "info", 1, 1, "info <vm>", verb_info },
	{ "counters", 1, 1, "counters <vm>", verb_counters },
	{ "pause", 1, 1, "pause <vm>", verb_pause },
	{ "resume", 1, 1, "resume <vm>", verb_resume },
	{ "reset", 1, 1, "reset <vm>", verb_reset },
	{ "stop", 1, 1, "stop <vm>", verb_stop },
	{ "start", 1, 1, "start <vm>", verb_start },
	{ "checkpoint", 2, 2, "checkpoint <vm> <slot>", verb_checkpoint },
	{ "restore", 2, 3, "restore <vm> <slot> [pause|catch-up]",
	  verb_restore },
	{ "slots", 0, 0, "slots", verb_slots },
	{ "input", 2, CTL_ARGS_MAX, "input <vm> <word>...", verb_input },
	{ "type", 2, 2, "type <vm> <text>", verb_type },
	{ "export", 2, 3, "export <slot> <offset> [<chunks>]", verb_export },
	{ "import", 2, 2, "import <slot> <size>", verb_import },
	{ "put", 4, 4, "put <slot> <offset> <crc> <data>", verb_put },
	{ "zero", 3, 3, "zero <slot> <offset> <length>", verb_zero },
	{ "import-status", 0, 0, "import-status", verb_import_status },
	{ "import-end", 1, 1, "import-end <slot>", verb_import_end },
	{ "import-abort", 0, 0, "import-abort", verb_import_abort },
	{ "load-image", 4, 4, "load-image <vm> <slot> <size> <crc>",
	  verb_load_image },
	{ "load-image-revert", 1, 1, "load-image-revert <vm>",
	  verb_load_revert },
	{ "exit", 0, 0, "exit", verb_exit },
};

static enum ctl_status dispatch(struct ctl_call *c)
{
	const struct ctl_request *r = c->req;

	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		const struct ctl_verb *v = &verbs[i];

		if (strcmp(v->name, r->verb) != 0)
			continue;
		if (r->argc < v->min_args || r->argc > v->max_args) {
			snprintf(c->msg, sizeof(c->msg), "usage: %s", v->usage);
			return CTL_BAD_REQUEST;
		}
		return v->run(c);
	}
	snprintf(c->msg, sizeof(c->msg), "unknown verb '%.32s'", r->verb);
	return CTL_UNKNOWN_VERB;
}

static void banner(void)
{
	finish("ctl", CTL_OK, "control mode, protocol %u ('<tag> exit' leaves)",
	       CTL_PROTOCOL);
}

/* Only a `put` (its second word) may be longer than CTL_LINE_MAX. */
static bool long_line_ok(const char *line)
{
	const char *v = line + strspn(line, BLANKS);

	v += strcspn(v, BLANKS);
	v += strspn(v, BLANKS);
	return !strncmp(v, "put", 3) && v[3] && strchr(BLANKS, v[3]);
}

/* A whole request line is in @in: answer it. */
static void request(void)
{
	struct ctl_request req;
	struct ctl_call c = { .req = &req };
	const char *why = NULL;
	enum ctl_status st;

	in.line[in.len] = '\0';
	if (in.len > CTL_LINE_MAX && !long_line_ok(in.line))
		in.too_long = true;
	if (!in.too_long && !strcmp(in.line, "ctl")) {
		banner(); /* a client that does not know the mode asks again */
		return;
	}
	if (!in.too_long && strspn(in.line, BLANKS) == in.len)
		return; /* CR LF, or a blank line: nothing asked */
	st = ctl_parse(in.line, &req, &why);
	c.tag = req.tag ? req.tag : "?";
	if (in.too_long) {
		finish(c.tag, CTL_TOO_LONG, "line longer than %u characters",
		       CTL_LINE_MAX);
		return;
	}
	if (in.bad_char) {
		finish(c.tag, CTL_BAD_REQUEST,
		       "control or non-ASCII character in the request");
		return;
	}
	if (st != CTL_OK) {
		finish(c.tag, st, "%s", why);
		return;
	}
	st = dispatch(&c);
	finish(c.tag, st, "%s", c.msg);
	if (!console_framed())
		shell_prompt();
}

void ctl_input(char c)
{
	if (in.escape) {
		in.escape = false;
		return;
	}
	if (c == CTRL_A) {
		in.escape = true;
	} else if (c == '\r' || c == '\n') {
		request();
		in.len = 0;
		in.too_long = in.bad_char = false;
	} else if (c == CTRL_U) {
		in.len = 0;
		in.too_long = in.bad_char = false;
	} else if (in.len == CTL_DATA_LINE_MAX) {
		in.too_long = true;
	} else {
		if (((unsigned char)c < ' ' && c != '\t') ||
		    (unsigned char)c >= 0x7f) {
			in.bad_char = true;
			c = ' ';
		}
		in.line[in.len++] = c;
	}
}

bool ctl_active(void)
{
	return console_framed();
}

void ctl_enter(void)
{
	memset(&in, 0, sizeof(in));
	console_set_framed(true);
	banner();
}

/* The state @ev leaves @vm in (it may have changed again since). */
static const char *state_after(const struct vm *vm, enum vm_event ev)
{
	switch (ev) {
	case VM_EVENT_STARTED:
	case VM_EVENT_RESET:
	case VM_EVENT_RESUMED: return "running";
	case VM_EVENT_STOPPED:
	case VM_EVENT_FAILED: return "stopped";
	case VM_EVENT_PAUSED: return "paused";
	default: return state_of(vm);
	}
}

/*
 * In control mode, "@event <kind> vm=<name> state=<state>" (docs/
 * control.md): a fatal stop is a "stopped" one, as the protocol has it.
 */
static void ctl_notify(const struct vm_observer *o, struct vm *vm,
		       enum vm_event ev, const char *detail)
{
	(void)o;
	(void)detail; /* the Kairos message before says why */
	if (console_framed())
		out("event", "", "%s vm=%s state=%s",
		    vm_event_name(ev == VM_EVENT_FAILED ? VM_EVENT_STOPPED :
							  ev),
		    vm->cfg->name, state_after(vm, ev));
}

static const struct vm_observer ctl_observer = {
	.name = "control channel",
	.notify = ctl_notify,
};

static void cmd_ctl(const char *args)
{
	if (*args) {
		kprintf("ctl: usage: ctl (no arguments; docs/control.md)\n");
		return;
	}
	shell_hand_over();
	ctl_enter();
}

static const struct shell_command ctl_commands[] = {
	{ "ctl", "control mode for test rigs (docs/control.md)", cmd_ctl },
};

void ctl_init(void)
{
	shell_add_commands(ctl_commands, ARRAY_SIZE(ctl_commands));
	vm_observer_register(&ctl_observer);
}
