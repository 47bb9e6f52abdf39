/* SPDX-License-Identifier: MIT */
/*
 * Deliberately broken timerq implementations, one bug each, to prove that
 * the boot self-test notices (a check that cannot fail is a defect).
 */
#ifndef TIMERQ_MUTANT_H
#define TIMERQ_MUTANT_H

enum timerq_mutant {
	MUTANT_NONE,           /**< correct: the control */
	MUTANT_LIFO_EQUAL,     /**< equal deadlines fire newest first */
	MUTANT_EARLY,          /**< fires entries up to 20 us before due */
	MUTANT_CANCEL_NOOP,    /**< first cancel says yes but leaves it armed */
	MUTANT_DOUBLE_FIRE,    /**< runs every callback twice */
	MUTANT_STOP_AFTER_ONE, /**< one callback per expiry, hardware off */
};

/** Which bug the timerq_* functions in timerq_mutant.c have. */
extern enum timerq_mutant timerq_mutant;

#endif
