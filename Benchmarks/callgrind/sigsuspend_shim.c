// Preloaded into the server under valgrind only (run.py). libdispatch's signal thread calls
// sigsuspend() with a mask in read-only memory; valgrind 3.19 rewrites the mask in place
// (it removes its own signals) and dies with "the 'impossible' happened: SIGSEGV".
// Passing a writable copy is the same call for the server.
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, 8);  // 8: the kernel's sigset size (64 signals)
}
