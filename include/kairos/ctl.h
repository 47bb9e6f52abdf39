/* SPDX-License-Identifier: MIT */
/*
 * The control channel (docs/control.md): a machine-readable mode of the
 * console for test rigs. The shell command `ctl` enters it; requests are
 * lines "<tag> <verb> [args]", every response line starts with "@<tag> ",
 * guest output keeps its "[vm] " label. Runs in the console task (pCPU 0).
 */
#ifndef KAIROS_CTL_H
#define KAIROS_CTL_H

#include <kairos/ckpt.h>
#include <kairos/types.h>

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

#endif
