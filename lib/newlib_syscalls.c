// SPDX-License-Identifier: MIT
/* newlib's system calls for a bare-metal program (newlib_syscalls.h). */
#include <errno.h>
#include <newlib_syscalls.h>
#include <stdint.h>
#include <sys/stat.h>

#define HEAP_SIZE ((size_t)64 * 1024)

int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _lseek(int fd, int off, int whence);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
void *_sbrk(ptrdiff_t incr);
void _exit(int code);
int _kill(int pid, int sig);
int _getpid(void);

int _write(int fd, const char *buf, int len)
{
	(void)fd;
	if (len > 0)
		newlib_output(buf, (size_t)len);
	return len;
}

/* newlib fixes this signature. */
// NOLINTNEXTLINE(readability-non-const-parameter)
int _read(int fd, char *buf, int len)
{
	(void)fd;
	(void)buf;
	(void)len;
	return 0;
}

int _close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

int _lseek(int fd, int off, int whence)
{
	(void)fd;
	(void)off;
	(void)whence;
	return 0;
}

int _fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR;
	return 0;
}

int _isatty(int fd)
{
	(void)fd;
	return 1;
}

/* A fixed arena for newlib's own needs (the programs do not allocate). */
void *_sbrk(ptrdiff_t incr)
{
	static char heap[HEAP_SIZE] __attribute__((aligned(16)));
	static size_t used;

	if (incr < 0 || (size_t)incr > HEAP_SIZE - used) {
		errno = ENOMEM;
		return (void *)-1;
	}
	used += (size_t)incr;
	return heap + used - (size_t)incr;
}

void _exit(int code)
{
	newlib_exit(code);
}

int _kill(int pid, int sig)
{
	(void)pid;
	(void)sig;
	errno = EINVAL;
	return -1;
}

int _getpid(void)
{
	return 1;
}
