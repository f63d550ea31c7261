// SPDX-License-Identifier: GPL-2.0
/*
 * The contingency (hp_core.h): before a case that may kill the kernel, the
 * program runs itself again with that case and every case it started so
 * far on the skip list, which is what a boot resuming after the case would
 * run, and writes what that run printed to the runner's port. The runner
 * uses it only if the guest dies in that very case.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hp_core.h"

#define CONT_ENV "HUGEPIN_CONTINGENT"
#define CONT_ARGS 64

bool hp_in_contingency(void)
{
	const char *dir = getenv(CONT_ENV);

	return dir && *dir;
}

static void cont_path(char *buf, size_t len, const char *dir, const char *file)
{
	snprintf(buf, len, "%s/%s", dir, file);
}

bool hp_contingency_wanted(void)
{
	const char *port = getenv("HUGEPIN_CONTINGENCY");

	return port && *port && !hp_in_contingency();
}

void hp_contingency_pinned(void)
{
	char path[PATH_MAX];
	int fd;

	if (!hp_in_contingency())
		return;
	cont_path(path, sizeof(path), getenv(CONT_ENV), "pinned");
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Append file @path (missing: nothing) to @fd. */
static int append_file(int fd, const char *path)
{
	char buf[8192];
	int in = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;
	ssize_t n;

	if (in < 0)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			err = errno == EINTR ? 0 : -errno;
			continue;
		}
		err = write_all(fd, buf, (size_t)n);
	}
	close(in);
	return err;
}

/* The skip list of the run: the runner's, this program's started cases, and the case itself. */
static int write_skip(const char *path, const char *test, const char *name)
{
	const char *skip = getenv("HUGEPIN_SKIP"), *started = getenv("HUGEPIN_STARTED");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char line[3 * HP_NAME_LEN];
	int err = 0;

	if (fd < 0)
		return -errno;
	if (skip && *skip)
		err = append_file(fd, skip);
	if (!err && started && *started)
		err = append_file(fd, started);
	snprintf(line, sizeof(line), "%s:%s\n", test, name);
	if (!err)
		err = write_all(fd, line, strlen(line));
	close(fd);
	return err;
}

/* This program's argument vector, from /proc/self/cmdline, to run it again. */
static int self_argv(char *buf, size_t len, char **argv)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t i, argc = 0;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	for (i = 0; i < (size_t)n && argc < CONT_ARGS; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;
	return 0;
}

static void run_child(const char *dir, char **argv)
{
	char path[PATH_MAX];
	int fd;

	cont_path(path, sizeof(path), dir, "skip");
	setenv("HUGEPIN_SKIP", path, 1);
	cont_path(path, sizeof(path), dir, "records");
	setenv("HUGEPIN_RECORDS", path, 1);
	setenv(CONT_ENV, dir, 1);
	unsetenv("HUGEPIN_CONTINGENCY");
	unsetenv("HUGEPIN_STARTED");
	cont_path(path, sizeof(path), dir, "ktap");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		_exit(127);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* Run the contingency in @dir; why it cannot be handed over, or NULL. */
static const char *run_contingency(const char *dir, const char *test, const char *name,
				   int *rc, char *why, size_t len)
{
	char path[PATH_MAX], args[4096], *argv[CONT_ARGS + 1];
	int status, err;
	pid_t pid;

	cont_path(path, sizeof(path), dir, "skip");
	err = write_skip(path, test, name);
	if (!err)
		err = self_argv(args, sizeof(args), argv);
	if (err) {
		snprintf(why, len, "its skip list or arguments: %s", strerror(-err));
		return why;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return why;
	}
	if (!pid)
		run_child(dir, argv);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, len, "waitpid: %s", strerror(errno));
			return why;
		}
	if (!WIFEXITED(status)) {
		snprintf(why, len, "the run ended by signal %d", WTERMSIG(status));
		return why;
	}
	*rc = WEXITSTATUS(status);
	if (*rc == 127) {
		snprintf(why, len, "the program could not run itself again");
		return why;
	}
	cont_path(path, sizeof(path), dir, "pinned");
	if (!access(path, F_OK)) {
		snprintf(why, len, "a case after it pinned, which only a boot can answer for");
		return why;
	}
	return NULL;
}

static void write_bundle(int port, const char *dir, const char *head, int rc)
{
	char path[PATH_MAX], line[64];

	if (write_all(port, head, strlen(head)))
		return;
	cont_path(path, sizeof(path), dir, "ktap");
	if (append_file(port, path) || write_all(port, HP_MARK_CONT_RECORDS "\n",
						 strlen(HP_MARK_CONT_RECORDS "\n")))
		return;
	cont_path(path, sizeof(path), dir, "records");
	snprintf(line, sizeof(line), HP_MARK_CONT_END " rc=%d\n", rc);
	if (!append_file(port, path))
		write_all(port, line, strlen(line));
}

static void remove_dir(const char *dir)
{
	static const char *const files[] = { "skip", "records", "ktap", "pinned" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cont_path(path, sizeof(path), dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

void hp_case_contingency(const char *test, const char *name)
{
	const char *port_path = getenv("HUGEPIN_CONTINGENCY");
	char dir[] = "/tmp/hugepin-cont.XXXXXX", why[HP_TEXT_LEN], head[HP_TEXT_LEN + 4 * HP_NAME_LEN];
	const char *void_why = NULL;
	bool made;
	int port, rc = 0;

	if (!hp_contingency_wanted())
		return;
	port = open(port_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (port < 0)
		return;
	made = mkdtemp(dir);
	if (!made) {
		snprintf(why, sizeof(why), "mkdtemp: %s", strerror(errno));
		void_why = why;
	} else {
		void_why = run_contingency(dir, test, name, &rc, why, sizeof(why));
	}
	if (void_why) {
		snprintf(head, sizeof(head), HP_MARK_CONT_VOID " %s:%s: %s\n", test, name, void_why);
		write_all(port, head, strlen(head));
	} else {
		snprintf(head, sizeof(head), HP_MARK_CONT " %s:%s\n", test, name);
		write_bundle(port, dir, head, rc);
	}
	close(port);
	if (made)
		remove_dir(dir);
}
