/* SPDX-License-Identifier: MIT */
/*
 * The user interface (core/ui/): the VM commands, the Kairos shell and
 * the control channel, over the console. Nothing below it calls up into
 * it (docs/design.md §9, §10).
 */
#ifndef KAIROS_UI_H
#define KAIROS_UI_H

#include <kairos/ckpt.h>
#include <kairos/types.h>
#include <kairos/vm.h>

/*
 * The VM commands both command surfaces offer (core/ui/vm_cmd.c): the
 * shell's `vm` command and the control channel do the work through these
 * and only print the results, each in its own form.
 */

/** How a command ended. */
enum vm_cmd_status {
	VM_CMD_DONE,      /**< it did what was asked */
	VM_CMD_ALREADY,   /**< the VM was in that state already */
	VM_CMD_BAD_STATE, /**< not in the VM's present state (vm_cmd_state()) */
	VM_CMD_FAILED,    /**< tried and failed; why says why */
};

/** Longest reason a failed command gives. */
#define VM_CMD_WHY_MAX 160

/** The result of a command, for the printers. */
struct vm_cmd_result {
	enum vm_cmd_status st;
	char why[VM_CMD_WHY_MAX]; /**< VM_CMD_FAILED: the reason */
	uint64_t size;            /**< checkpoint: bytes in the slot */
	uint64_t pages_copied;    /**< restore: pages copied back */
	uint64_t ticks;           /**< checkpoint, restore: time it took */
};

/** A VM's totals over its vCPUs, and its checkpoint counters. */
struct vm_cmd_counts {
	uint64_t exits;
	uint64_t migrations;
	struct ckpt_stats ckpt;
};

/** One shared-memory region of a VM, its doorbell's counts included. */
struct vm_cmd_shmem {
	unsigned int region; /**< region number (docs/shmem.md) */
	unsigned int index;  /**< the VM's doorbell index */
	bool ro;
	uint64_t ipa, size;
	struct vm_shmem_bells bells; /**< a snapshot */
};

/** Entry @k (< vm->cfg->nr_shmem) of @vm's regions into *@out. */
void vm_cmd_shmem(const struct vm *vm, unsigned int k,
		  struct vm_cmd_shmem *out);

/** "running", "paused" or "stopped". */
const char *vm_cmd_state(const struct vm *vm);

/** "off", "ready" or "blocked": where @v is in its life. */
const char *vm_cmd_run_state(const struct vcpu *v);

/** Totals of @vm into *@out. */
void vm_cmd_counts(const struct vm *vm, struct vm_cmd_counts *out);

/** Hold (@pause) or release @vm's vCPUs; BAD_STATE when it is stopped. */
void vm_cmd_pause(struct vm *vm, bool pause, struct vm_cmd_result *r);

/** Reboot @vm from its images; BAD_STATE while a reset is under way. */
void vm_cmd_reset(struct vm *vm, struct vm_cmd_result *r);

/** Stop @vm (@why goes into Kairos's message); ALREADY if it was. */
void vm_cmd_stop(struct vm *vm, const char *why, struct vm_cmd_result *r);

/** Boot a stopped @vm cold; BAD_STATE if it is not stopped. */
void vm_cmd_start(struct vm *vm, struct vm_cmd_result *r);

/**
 * Save @vm into checkpoint slot @slot (a valid slot number). Refused for
 * a VM that takes part in a shared-memory region (docs/shmem.md).
 */
void vm_cmd_checkpoint(struct vm *vm, unsigned int slot,
		       struct vm_cmd_result *r);

/**
 * Bring @vm back from slot @slot, the clock under @policy. Refused as a
 * checkpoint is for a VM with a shared-memory region.
 */
void vm_cmd_restore(struct vm *vm, unsigned int slot, enum ckpt_policy policy,
		    struct vm_cmd_result *r);

/* The hypervisor's console shell. */

/** A shell command: @run gets the rest of the line after the name. */
struct shell_command {
	const char *name;
	const char *help;
	void (*run)(const char *args);
};

/**
 * Add a table of commands (boot time; a few tables at most). Adding the
 * same table again changes nothing.
 */
void shell_add_commands(const struct shell_command *cmds, size_t n);

/**
 * Add the VM commands (vm list|stop|start|reset|pause|resume|info|
 * migrate|checkpoint|restore|slots) and `ctl` to the shell, register the
 * console task (pCPU 0) and the shell's and the control channel's VM
 * observers (shell first: its message comes before the event line).
 */
void shell_vm_init(void);

/**
 * Take pending console input (the console task, on pCPU 0): Ctrl-A then a
 * key switches where it goes — k: the Kairos shell, 0-7: that VM's UART,
 * Ctrl-A: the next one; everything else goes to the current target.
 */
void shell_poll(void);

/**
 * Console input arrived (the UART's interrupt or polling tick): have the
 * console task take it. Any CPU, any context.
 */
void shell_wake(void);

/**
 * After boot: say how to switch console input (and, @quit if not NULL,
 * how to leave), then give input to the VM if there is exactly one and
 * not @shell_first, else prompt in the Kairos shell.
 */
void shell_console_start(const char *quit, bool shell_first);

/** Index of the VM console input goes to, or -1 for the Kairos shell. */
int shell_input_target(void);

struct vm;
/**
 * Feed one received character; runs a command on end of line. Backspace
 * or DEL erases a character, Ctrl-U the whole line.
 */
void shell_input(char c);

/** Run one command line (without the newline). */
void shell_exec(const char *line);

/**
 * The command running hands the console to another reader (the control
 * channel): no prompt after it.
 */
void shell_hand_over(void);

/** Print the prompt. */
void shell_prompt(void);

/*
 * The control channel (docs/control.md): a machine-readable mode of the
 * console for test rigs. The shell command `ctl` enters it; requests are
 * lines "<tag> <verb> [args]", every response line starts with "@<tag> ",
 * guest output keeps its "[vm] " label. Runs in the console task (pCPU 0).
 */

/** Protocol version `hello` reports; bumped on incompatible changes. */
#define CTL_PROTOCOL 1U
/** Longest request, in characters without the line end. */
#define CTL_LINE_MAX 127U
/** Longest tag. */
#define CTL_TAG_MAX 16
/** Most arguments after the verb. */
#define CTL_ARGS_MAX 4

/** Status of a response's final line (docs/control.md has the table). */
enum ctl_status {
	CTL_OK = 0,
	CTL_BAD_REQUEST = 1,  /**< malformed line, wrong arguments */
	CTL_NO_VM = 2,        /**< no VM of that name */
	CTL_NO_SLOT = 3,      /**< no checkpoint slot of that number */
	CTL_FAILED = 4,       /**< the operation was tried and failed */
	CTL_BAD_STATE = 5,    /**< not in the VM's present state */
	CTL_UNKNOWN_VERB = 6, /**< verb not known to this version */
	CTL_TOO_LONG = 7,     /**< line longer than CTL_LINE_MAX */
};

/** A request split into words (pointers into the parsed line). */
struct ctl_request {
	const char *tag; /**< NULL when the first word is not a valid tag */
	const char *verb;
	const char *argv[CTL_ARGS_MAX];
	unsigned int argc;
};

/**
 * Split @line (NUL-terminated, printable) in place into tag, verb and
 * arguments, separated by runs of blanks. Returns CTL_OK, or
 * CTL_BAD_REQUEST with the reason in *@why; req->tag is set whenever the
 * first word is a valid tag, so that even a refusal can name it.
 */
enum ctl_status ctl_parse(char *line, struct ctl_request *req,
			  const char **why);

/**
 * Slot number @s as both command surfaces take it: CTL_BAD_REQUEST if it
 * is not a decimal number, CTL_NO_SLOT if there is no such slot; @why
 * says which.
 */
enum ctl_status ctl_slot_parse(const char *s, unsigned int *slot, char *why,
			       size_t why_len);

/** "pause" or "catch-up" (NULL: the default, pause). False otherwise. */
bool ctl_policy_parse(const char *s, enum ckpt_policy *policy);

/**
 * Add the shell command `ctl` (boot CPU, with the other commands) and
 * register the channel as a VM observer: in control mode every VM state
 * change is an event line "@event <kind> vm=<name> state=<state>".
 */
void ctl_init(void);

/** The console is in control mode (input goes to ctl_input()). */
bool ctl_active(void);

/** Switch the console to control mode and say so ("@ctl 0 ..."). */
void ctl_enter(void);

/**
 * Feed one received character in control mode. Ctrl-A and the key after
 * it are dropped (no input switching), Ctrl-U discards the line so far,
 * CR or LF ends it.
 */
void ctl_input(char c);

/*
 * Slot images over the control channel (docs/control.md, "Moving slot
 * images"): chunks of CTL_XFER_CHUNK bytes as base64 with their CRC32C,
 * runs of zero bytes as a length.
 */

/** Image bytes per chunk (4096 base64 characters). */
#define CTL_XFER_CHUNK 3072U
/** Base64 characters of a whole chunk. */
#define CTL_XFER_B64_MAX (CTL_XFER_CHUNK / 3U * 4U)
/** Longest `put` request (tag, verb, slot, offset, CRC, data, blanks). */
#define CTL_DATA_LINE_MAX (CTL_XFER_B64_MAX + 64U)
/** Most chunks one `export` answers with. */
#define CTL_XFER_CHUNKS_MAX 16U

/**
 * Encode @len bytes at @in as base64 (RFC 4648, with padding) into @out,
 * NUL-terminated; @out holds 4 * ((len + 2) / 3) + 1. Returns the
 * characters written.
 */
size_t xfer_b64_encode(const uint8_t *in, size_t len, char *out);

/**
 * Decode the base64 text @in (strict: a multiple of 4 characters, '='
 * only as the last one or two) into @out of @cap bytes; *@out_len is the
 * byte count. False, with the reason and the position in @why, if the
 * text is not base64 or does not fit.
 */
bool xfer_b64_decode(const char *in, uint8_t *out, size_t cap, size_t *out_len,
		     char *why, size_t why_len);

/** Whether @len bytes at @p are all zero. */
bool xfer_is_zero(const uint8_t *p, size_t len);

/**
 * A decimal number of at most 19 digits into *@v. False if @s is
 * anything else (no sign, no blanks).
 */
bool xfer_u64_parse(const char *s, uint64_t *v);

/** Exactly 8 hex digits (a CRC32C) into *@v; false for anything else. */
bool xfer_hex32_parse(const char *s, uint32_t *v);

/** A received chunk, decoded. */
struct xfer_chunk {
	uint64_t offset;
	size_t len;
	uint8_t data[CTL_XFER_CHUNK];
};

/**
 * The arguments of a `put` request, @offset @crc @data (decimal, 8 hex
 * digits, base64), into @out: false with what is wrong in @why when a
 * field is malformed, the data is longer than a chunk, or its CRC32C is
 * not @crc.
 */
bool xfer_chunk_parse(const char *offset, const char *crc, const char *data,
		      struct xfer_chunk *out, char *why, size_t why_len);

/**
 * The data line of an export for the @len bytes (at most CTL_XFER_CHUNK)
 * at image offset @off: "off=<off> len=<len> crc=<8 hex> data=<base64>",
 * or "off=<off> zero=<len>" when they are all zero. @out holds
 * CTL_DATA_LINE_MAX + 1. Returns the characters written.
 */
size_t xfer_chunk_encode(uint64_t off, const uint8_t *data, size_t len,
			 char *out);

/** Write one data line "@<tag> - <text>" of any length (up to a chunk's). */
void ctl_row_text(const char *tag, const char *text, size_t len);

/** Write one data line "@<tag> - <printf>" (as the other verbs do). */
void ctl_row(const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** The transfer verbs: @msg gets the final line's message. */
enum ctl_status ctl_xfer_export(const char *tag, const struct ctl_request *req,
				char *msg, size_t msg_len);
/** `import <slot> <size>`: start an import (ditto). */
enum ctl_status ctl_xfer_import(const char *tag, const struct ctl_request *req,
				char *msg, size_t msg_len);
/** `put <slot> <offset> <crc> <data>`: a chunk of the import (ditto). */
enum ctl_status ctl_xfer_put(const char *tag, const struct ctl_request *req,
			     char *msg, size_t msg_len);
/** `zero <slot> <offset> <length>`: a run of zero bytes (ditto). */
enum ctl_status ctl_xfer_zero(const char *tag, const struct ctl_request *req,
			      char *msg, size_t msg_len);
/** `import-status`: where the import is (ditto). */
enum ctl_status ctl_xfer_status(const char *tag, const struct ctl_request *req,
				char *msg, size_t msg_len);
/** `import-end <slot>`: validate and take the image (ditto). */
enum ctl_status ctl_xfer_end(const char *tag, const struct ctl_request *req,
			     char *msg, size_t msg_len);
/** `import-abort`: drop the import; its slot stays empty (ditto). */
enum ctl_status ctl_xfer_abort(const char *tag, const struct ctl_request *req,
			       char *msg, size_t msg_len);
/**
 * `load-image <vm> <slot> <size> <crc>`: start an import of a kernel for
 * the stopped VM, staged in the slot; `put`, `zero`, `import-end` go on
 * with it (docs/control.md, "Loading a new image").
 */
enum ctl_status ctl_xfer_load_image(const char *tag,
				    const struct ctl_request *req, char *msg,
				    size_t msg_len);
/** `load-image-revert <vm>`: boot its configured kernel again (ditto). */
enum ctl_status ctl_xfer_load_revert(const char *tag,
				     const struct ctl_request *req, char *msg,
				     size_t msg_len);

#endif
