/**
 * Lets the C allocator keep freed buffer memory for reuse instead of handing it back to the
 * OS, so that streaming hundreds of MB through fresh Buffers does not page-fault every byte.
 *
 * Why: every Buffer that Node's crypto, zlib and fs return is freshly malloc'd, and V8 frees
 * them in batches of ~32 MiB at each young-generation GC. glibc then trims the freed top of
 * its heap (its trim threshold starts at 128 KiB), so the next batch faults in new pages — on
 * the VMs measured ~10 µs per 4 KiB page, more than the AES, SHA-1 and inflate of that page
 * together (2–3× the whole decryption). glibc raises its thresholds by itself once a large
 * mmap'd block is freed (mmap threshold to that size, trim threshold to twice it); freeing one
 * 31 MiB block early does that on purpose, so later batches reuse the same mapped memory.
 * Costs nothing measurable (the block is never touched) and is harmless on other allocators.
 */
import { MessageChannel } from 'node:worker_threads';

/** Just under glibc's DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit), which it must not exceed. */
const BLOCK = 31 * 1024 * 1024;

let done = false;

/** Allocates and at once frees one large untouched block (once per process). */
export function keepFreedBuffersMapped(): void {
  if (done) return;
  done = true;
  try {
    const block = new ArrayBuffer(BLOCK);
    // A transfer to a closed port detaches the block and drops it: freed now, not at some GC.
    const { port1, port2 } = new MessageChannel();
    port2.close();
    port1.postMessage(block, [block]);
    port1.close();
  } catch {
    /* only a speed-up */
  }
}
