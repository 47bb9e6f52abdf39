/* SPDX-License-Identifier: MIT */
#ifndef KAIROS_VERSION_H
#define KAIROS_VERSION_H

/** Version string, from the VERSION file and git (set by the Makefile). */
extern const char KAIROS_VERSION[];

#endif
