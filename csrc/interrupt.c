/* Ctrl-C during a long computation.
 *
 * Python runs its SIGINT handler only when the main thread returns to the
 * interpreter, which a GIL-free call does not do until it ends. So while the
 * main thread is inside such a call, a handler of ours sits in front of
 * Python's: it passes the signal on to Python's handler (which records it for
 * the interpreter), then counts it. The computation polls the count at safe
 * points (between GEMM tiles, layers and chunks), stops, and returns
 * FM_EINTR; the Cython side then lets Python run its handler. Counting after
 * Python's handler has run (release/acquire) means a poll that sees the count
 * also finds Python's record of the signal.
 *
 * Only the calling thread that armed the watch is interrupted: calls running
 * in other threads read their own snapshot (fm_watch), whose `armed` is 0. */
#include <signal.h>
#include <string.h>

#include "kernels.h"

static sig_atomic_t sigint_count; /* accessed with __atomic builtins only */

static sig_atomic_t count_now(void) { return __atomic_load_n(&sigint_count, __ATOMIC_ACQUIRE); }

#if !defined(_WIN32)
static struct sigaction python_action; /* the handler ours passes the signal on to */
static int watch_depth;                /* main thread only: nested calls share one watch */
static _Thread_local int armed;
static _Thread_local sig_atomic_t armed_at;

static void on_sigint(int sig, siginfo_t *info, void *context)
{
    if (python_action.sa_flags & SA_SIGINFO)
        python_action.sa_sigaction(sig, info, context);
    else if (python_action.sa_handler != SIG_IGN && python_action.sa_handler != SIG_DFL)
        python_action.sa_handler(sig);
    __atomic_add_fetch(&sigint_count, 1, __ATOMIC_RELEASE);
}

int fm_watch_interrupts(void)
{
    if (watch_depth++ > 0) return 0;
    struct sigaction current;
    if (sigaction(SIGINT, NULL, &current) != 0) return -1;
    /* with the default action the process ends anyway, and ignored stays ignored */
    if (!(current.sa_flags & SA_SIGINFO) &&
        (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN))
        return 0;
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_sigint;
    ours.sa_flags = SA_SIGINFO | (current.sa_flags & SA_ONSTACK);
    sigemptyset(&ours.sa_mask);
    python_action = current;
    armed_at = count_now();
    if (sigaction(SIGINT, &ours, NULL) != 0) return -1;
    armed = 1;
    return 0;
}

void fm_unwatch_interrupts(void)
{
    if (watch_depth == 0 || --watch_depth > 0) return;
    if (armed) sigaction(SIGINT, &python_action, NULL);
    armed = 0;
}

fm_watch fm_watch_snapshot(void)
{
    fm_watch w = {armed, armed_at};
    return w;
}

void fm_interrupt_acknowledge(void) { armed_at = count_now(); }
#else
int fm_watch_interrupts(void) { return 0; }
void fm_unwatch_interrupts(void) {}
fm_watch fm_watch_snapshot(void)
{
    fm_watch w = {0, 0};
    return w;
}
void fm_interrupt_acknowledge(void) {}
#endif

int fm_watch_tripped(const fm_watch *w) { return w->armed && count_now() != w->since; }

int fm_interrupted(void)
{
    const fm_watch w = fm_watch_snapshot();
    return fm_watch_tripped(&w);
}
