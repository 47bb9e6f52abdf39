/* SPDX-License-Identifier: MIT */
#ifndef KAIROS_SELFTEST_H
#define KAIROS_SELFTEST_H

#include <kairos/timerq.h>

/**
 * Boot self-test of @q on the calling CPU, through the real timer
 * interrupt: deadlines armed out of order must fire in deadline order
 * (FIFO among equal ones), none before its deadline, none lost; a
 * cancelled entry stays silent and a moved one fires once, at its new
 * time. Returns true on success; @msg gets a one-line verdict.
 */
bool timerq_selftest(struct timerq *q, char *msg, size_t len);

#endif
