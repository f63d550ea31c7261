// SPDX-License-Identifier: GPL-2.0
/*
 * hugepin_vmwshim: lets unmodified vmwgfx bind to QEMU's vmware-svga.
 *
 * vmwgfx is the one driver that inserted huge TTM pfn entries (5.7 until
 * "drm/ttm: remove ttm_bo_vm_insert_huge()"), so it is the driver through
 * which distribution kernels of that era must be judged. QEMU's vmware-svga
 * reports neither SVGA_CAP_PITCHLOCK nor SVGA_CAP_EXTENDED_FIFO, and
 * vmw_driver_load() gives up with "Hardware has no pitchlock" (-ENOSYS)
 * before it sets anything up. Nothing else it needs is missing: with the
 * check answered "yes" the driver binds (legacy display unit, no GMR) and
 * its buffer objects, TTM and their fault handlers are the stock ones.
 *
 * A kretprobe on vmw_fifo_have_pitchlock() makes it return true. The probe
 * is registered at load time, so vmwgfx must already be loaded (its failed
 * probe leaves the module in place); the device is then bound again through
 * /sys/bus/pci/drivers/vmwgfx/bind. The pitch the driver then writes lands
 * in the FIFO's pitchlock register, which QEMU ignores.
 *
 * Test fixture only: load it in a throwaway guest, never on a real machine.
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>

#define SHIM_SYMBOL "vmw_fifo_have_pitchlock"

/* How many times the check was answered; the suite quotes it in its records. */
static unsigned int answered;
module_param(answered, uint, 0444);
MODULE_PARM_DESC(answered, "calls of " SHIM_SYMBOL "() answered true");

static int shim_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	regs_set_return_value(regs, 1);
	answered++;
	return 0;
}

static struct kretprobe shim_probe = {
	.kp.symbol_name = SHIM_SYMBOL,
	.handler = shim_ret,
	.maxactive = 4,
};

static int __init shim_init(void)
{
	int ret = register_kretprobe(&shim_probe);

	if (ret) {
		/* -ENOENT: vmwgfx not loaded, or a kernel where the check moved. */
		pr_err("hugepin_vmwshim: cannot probe %s(): %d%s\n", SHIM_SYMBOL, ret,
		       ret == -ENOENT ? " (symbol not found: load vmwgfx first)" : "");
		return ret;
	}
	pr_info("hugepin_vmwshim: %s() answers true; rebind vmwgfx now\n", SHIM_SYMBOL);
	return 0;
}

static void __exit shim_exit(void)
{
	unregister_kretprobe(&shim_probe);
}

module_init(shim_init);
module_exit(shim_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hugepin test fixture: bind vmwgfx to QEMU's vmware-svga");
