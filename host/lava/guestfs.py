# SPDX-License-Identifier: GPL-2.0
"""hugepin's stand-in for libguestfs's Python binding, for LAVA's dispatcher.

lava-dispatcher imports guestfs at start and uses it for one thing in a QEMU
job: prepare_guestfs() (lava_dispatcher/utils/filesystem.py) makes the qcow2
disk that carries the test overlay (an ext2 filesystem labelled LAVA, which
the guest mounts by UUID). The real binding needs libguestfs and its
appliance, a second VM started for every job; Debian 12's libguestfs0 pulls
in supermin and the host kernel. This module makes the same disk with
e2fsprogs (mke2fs -d) and qemu-img, for exactly the calls prepare_guestfs
makes; every other call raises RuntimeError, which LAVA reports as an
infrastructure error. tests/lava/check_lava.sh puts it on PYTHONPATH.
"""

import os
import shutil
import subprocess
import tarfile
import tempfile
import uuid


class GuestFS:
    def __init__(self, python_return_dict=True):
        self._disk = None
        self._size = 0
        self._label = None
        self._uuid = str(uuid.uuid4())
        self._tree = None

    def disk_create(self, filename, fmt, size):
        if fmt != "qcow2":
            raise RuntimeError("hugepin guestfs stand-in: only qcow2 disks")
        self._disk = filename
        self._size = size

    def add_drive_opts(self, filename, format=None, readonly=False):
        if filename != self._disk:
            raise RuntimeError("hugepin guestfs stand-in: only the disk it created")

    def launch(self):
        self._tree = tempfile.mkdtemp(prefix="hugepin-guestfs-")

    def list_devices(self):
        return ["/dev/sda"]

    def mke2fs(self, device, label=None):
        self._label = label

    def mount(self, device, mountpoint):
        if mountpoint != "/":
            raise RuntimeError("hugepin guestfs stand-in: only a mount at /")

    def tar_in(self, tarball, directory):
        with tarfile.open(tarball) as tar:
            tar.extractall(os.path.join(self._tree, directory.lstrip("/")))

    def umount(self, device):
        raw = self._disk + ".raw"
        cmd = ["mke2fs", "-q", "-F", "-t", "ext2", "-U", self._uuid, "-d", self._tree]
        if self._label:
            cmd += ["-L", self._label]
        subprocess.run(cmd + [raw, "%dk" % (self._size // 1024)], check=True)
        subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, self._disk], check=True)
        os.unlink(raw)
        shutil.rmtree(self._tree)

    def blkid(self, device):
        return {"UUID": self._uuid, "LABEL": self._label or "", "TYPE": "ext2"}

    def shutdown(self):
        pass

    def __getattr__(self, name):
        raise RuntimeError("hugepin guestfs stand-in: %s is not provided" % name)
