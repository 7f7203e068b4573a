/** Small file-system predicates shared by the core. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';

/** True when something exists at `p` (file, folder or other). */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** True when `p` exists and this process may execute it. */
export async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
