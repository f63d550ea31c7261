// SPDX-License-Identifier: GPL-2.0
/*
 * A sibling program of the suite run from a selftest: evict_race runs
 * drm_repro and gup_stress_short runs gup_stress, each found next to the
 * selftest (lib.mk installs them side by side). Both output streams are read
 * while it runs, so neither pipe fills and stalls it, and its one-line JSON
 * objects are read field by field.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "hp_child.h"

int hp_child_path(const char *name, char *buf, size_t len)
{
	int ret = hp_self_relative(name, buf, len);

	if (ret)
		return ret;
	return access(buf, X_OK) ? -errno : 0;
}

/* Append what @fd has to @buf (cut at HP_CHILD_OUT_MAX); false at its end. */
static bool take(int fd, char *buf, size_t *used)
{
	char sink[512];
	ssize_t n;

	if (*used < HP_CHILD_OUT_MAX)
		n = read(fd, buf + *used, HP_CHILD_OUT_MAX - *used);
	else
		n = read(fd, sink, sizeof(sink));
	if (n <= 0)
		return n < 0 && errno == EINTR;
	if (*used < HP_CHILD_OUT_MAX)
		*used += (size_t)n;
	return true;
}

static void read_both(int out_fd, int err_fd, struct hp_child *c)
{
	struct pollfd pfd[2] = { { .fd = out_fd, .events = POLLIN },
				 { .fd = err_fd, .events = POLLIN } };
	char *buf[2] = { c->out, c->err };
	size_t used[2] = { 0, 0 };

	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents && !take(pfd[i].fd, buf[i], &used[i]))
				pfd[i].fd = -1;
	}
	c->out[used[0]] = '\0';
	c->err[used[1]] = '\0';
}

int hp_child_run(const char *path, char *const argv[], struct hp_child *c)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, wstatus, ret = 0;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->status = -1;
	c->out = calloc(1, HP_CHILD_OUT_MAX + 1);
	c->err = calloc(1, HP_CHILD_OUT_MAX + 1);
	if (!c->out || !c->err || pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		ret = -ENOMEM;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto fail;
	}
	if (!pid) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	read_both(po[0], pe[0], c);
	close(po[0]);
	close(pe[0]);
	if (waitpid(pid, &wstatus, 0) != pid)
		return -errno;
	if (WIFEXITED(wstatus))
		c->status = WEXITSTATUS(wstatus);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	hp_child_free(c);
	return ret;
}

void hp_child_free(struct hp_child *c)
{
	free(c->out);
	free(c->err);
	c->out = c->err = NULL;
}
