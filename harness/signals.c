// SPDX-License-Identifier: GPL-2.0
/*
 * Stop signals for the long-running tools (drm_repro, gup_stress): SIGINT,
 * SIGTERM and SIGHUP end a run cleanly, never as a verdict. The handler only
 * records the signal; the tool polls it, stops and joins its threads,
 * releases held pins and buffers, reports what ran as interrupted and exits
 * 128+signal. One-shot, so a second signal still ends a run that does not
 * stop. A signal ignored when the tool started (nohup, a background job of a
 * script) stays ignored.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hp_sys.h"

volatile sig_atomic_t hp_stop_signal;

static void on_stop_signal(int sig)
{
	hp_stop_signal = sig;
}

void hp_catch_stop_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

const char *hp_signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}
