// SPDX-License-Identifier: GPL-2.0

#include <linux/fs.h>

struct mnt_idmap *rust_helper_file_mnt_idmap(const struct file *file)
{
	return file_mnt_idmap(file);
}
