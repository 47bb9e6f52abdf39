/* SPDX-License-Identifier: MIT */
#ifndef KAIROS_ERR_H
#define KAIROS_ERR_H

/** Why an operation on user-controlled input failed. */
enum kairos_err {
	KAIROS_OK = 0,
	KAIROS_ERR_MISSING,     /**< a required node or property is absent */
	KAIROS_ERR_MALFORMED,   /**< present, but its value makes no sense */
	KAIROS_ERR_UNSUPPORTED, /**< well-formed, but Kairos cannot drive it */
	KAIROS_ERR_LIMIT,   /**< more of something than Kairos has room for */
	KAIROS_ERR_TIMEOUT, /**< hardware did not answer in time */
};

#endif
