/* SPDX-License-Identifier: MIT */
/*
 * The EL1 virtual timer (CNTV_*_EL0) and the EL1 physical timer
 * (CNTP_*_EL0), Arm ARM D11.2. Both have the same three registers: CTL
 * (ENABLE, IMASK, ISTATUS), CVAL (64-bit compare value) and TVAL (a signed
 * 32-bit view of CVAL - count; a write sets CVAL = count + SignExtend(TVAL)).
 */
#ifndef LG_TIMER_H
#define LG_TIMER_H

#include <lg/sysreg.h>
#include <stdint.h>

#define TIMER_CTL_ENABLE (1UL << 0)
#define TIMER_CTL_IMASK (1UL << 1)
#define TIMER_CTL_ISTATUS (1UL << 2)

#define CNTV_CTL_ENABLE TIMER_CTL_ENABLE
#define CNTV_CTL_IMASK TIMER_CTL_IMASK
#define CNTV_CTL_ISTATUS TIMER_CTL_ISTATUS
#define CNTP_CTL_ENABLE TIMER_CTL_ENABLE
#define CNTP_CTL_IMASK TIMER_CTL_IMASK
#define CNTP_CTL_ISTATUS TIMER_CTL_ISTATUS

/** The virtual timer's PPI (INTID) from the DTB's arm,armv8-timer node
 * (its third interrupt), or 27 (PPI 11, the usual one) without one. */
unsigned int timer_virt_intid(void);
/** The EL1 (non-secure) physical timer's PPI from the same node (its
 * second interrupt), or 30 (PPI 14) without one. */
unsigned int timer_phys_intid(void);

/* Virtual timer. */
static inline void timer_virt_set_cval(uint64_t cval)
{
	write_sysreg(cval, cntv_cval_el0);
	isb();
}

/** CVAL = CNTVCT + SignExtend(@tval). */
static inline void timer_virt_set_tval(int32_t tval)
{
	write_sysreg((uint32_t)tval, cntv_tval_el0);
	isb();
}

static inline void timer_virt_set_ctl(uint64_t ctl)
{
	write_sysreg(ctl, cntv_ctl_el0);
	isb();
}

static inline uint64_t timer_virt_ctl(void)
{
	isb();
	return read_sysreg(cntv_ctl_el0);
}

static inline uint64_t timer_virt_cval(void)
{
	isb();
	return read_sysreg(cntv_cval_el0);
}

/** (CVAL - CNTVCT)[31:0] as a signed value. */
static inline int32_t timer_virt_tval(void)
{
	isb();
	return (int32_t)(uint32_t)read_sysreg(cntv_tval_el0);
}

/* EL1 physical timer: it counts CNTPCT_EL0. */
static inline uint64_t timer_phys_count(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

static inline void timer_phys_set_cval(uint64_t cval)
{
	write_sysreg(cval, cntp_cval_el0);
	isb();
}

/** CVAL = CNTPCT + SignExtend(@tval). */
static inline void timer_phys_set_tval(int32_t tval)
{
	write_sysreg((uint32_t)tval, cntp_tval_el0);
	isb();
}

static inline void timer_phys_set_ctl(uint64_t ctl)
{
	write_sysreg(ctl, cntp_ctl_el0);
	isb();
}

static inline uint64_t timer_phys_ctl(void)
{
	isb();
	return read_sysreg(cntp_ctl_el0);
}

static inline uint64_t timer_phys_cval(void)
{
	isb();
	return read_sysreg(cntp_cval_el0);
}

/** (CVAL - CNTPCT)[31:0] as a signed value. */
static inline int32_t timer_phys_tval(void)
{
	isb();
	return (int32_t)(uint32_t)read_sysreg(cntp_tval_el0);
}

#endif
