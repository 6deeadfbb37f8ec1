// The seccomp filter a sandboxed command runs under, as a classic BPF program (pure: bytes out;
// bubblewrap loads it with `--seccomp FD` after setting no_new_privs). The rules follow the ones
// Codex's Linux sandbox installs:
//   - network off: socket()/socketpair() for any family but AF_UNIX, and the socket calls that
//     reach peers (connect, bind, listen, accept, sendto, send/recv of many messages) fail with
//     EPERM, so a command sees "Operation not permitted" as under Codex. Unlike Codex, calls that
//     only inspect or tune a socket already open (getsockname, getpeername, get/setsockopt,
//     shutdown) stay allowed: Node hands a child its stdio as socket pairs, and programs that
//     inspect their stdout (Node itself) must still be able to print;
//   - network on, filesystem restricted: AF_VSOCK sockets (a bridge to host services) fail;
//   - always: io_uring (it can open sockets without socket()), and with the network off also
//     ptrace and process_vm_{readv,writev}.
// A syscall from another ABI (x32 on x86_64) fails too; a different architecture is killed.

export type SeccompMode = "network-off" | "vsock-off";

interface ArchTable {
  audit: number;
  x32Bit: boolean;
  nr: Record<string, number>;
}

const ARCHES: Record<string, ArchTable> = {
  x64: {
    audit: 0xc000003e,
    x32Bit: true,
    nr: {
      socket: 41, socketpair: 53, connect: 42, accept: 43, accept4: 288, bind: 49, listen: 50,
      sendto: 44, sendmmsg: 307, recvmmsg: 299, ptrace: 101, process_vm_readv: 310, process_vm_writev: 311,
      io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
    },
  },
  arm64: {
    audit: 0xc00000b7,
    x32Bit: false,
    nr: {
      socket: 198, socketpair: 199, connect: 203, accept: 202, accept4: 242, bind: 200, listen: 201,
      sendto: 206, sendmmsg: 269, recvmmsg: 243, ptrace: 117, process_vm_readv: 270, process_vm_writev: 271,
      io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
    },
  },
};

const AF_UNIX = 1;
const AF_VSOCK = 40;
const EPERM = 1;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;
// classic BPF opcodes
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
// struct seccomp_data: nr at 0, arch at 4, args[0] (low half, little-endian) at 16
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0 = 16;

type Insn = { code: number; k: number; jt?: string; jf?: string } | { label: string };

/** Whether a seccomp filter can be built for this CPU. */
export const seccompSupported = (arch: string = process.arch): boolean => arch in ARCHES;

/** The filter for `mode`, as `struct sock_filter[]` bytes (8 per instruction). */
export function seccompProgram(mode: SeccompMode, arch: string = process.arch): Buffer {
  const a = ARCHES[arch];
  if (!a) throw new Error(`no seccomp filter for CPU architecture ${arch}`);
  const denied = mode === "network-off"
    ? ["ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup", "io_uring_enter", "io_uring_register", "connect", "accept", "accept4", "bind", "listen", "sendto", "sendmmsg", "recvmmsg"]
    : ["io_uring_setup", "io_uring_enter", "io_uring_register"];
  const prog: Insn[] = [
    { code: LD_W_ABS, k: OFF_ARCH },
    { code: JEQ_K, k: a.audit, jt: "arch_ok", jf: "kill" },
    { label: "arch_ok" },
    { code: LD_W_ABS, k: OFF_NR },
  ];
  if (a.x32Bit) prog.push({ code: JGE_K, k: 0x40000000, jt: "deny", jf: "next_x32" }, { label: "next_x32" });
  denied.forEach((name, i) => prog.push({ code: JEQ_K, k: a.nr[name], jt: "deny", jf: `d${i}` }, { label: `d${i}` }));
  prog.push({ code: JEQ_K, k: a.nr.socket, jt: "family", jf: "s1" }, { label: "s1" });
  prog.push({ code: JEQ_K, k: a.nr.socketpair, jt: "family", jf: "allow" });
  // socket()/socketpair(): decided by the family (BPF jumps only forward, so this comes first)
  prog.push({ label: "family" }, { code: LD_W_ABS, k: OFF_ARG0 });
  if (mode === "network-off") prog.push({ code: JEQ_K, k: AF_UNIX, jt: "allow", jf: "deny" });
  else prog.push({ code: JEQ_K, k: AF_VSOCK, jt: "deny", jf: "allow" });
  prog.push({ label: "allow" }, { code: RET_K, k: RET_ALLOW });
  prog.push({ label: "deny" }, { code: RET_K, k: RET_ERRNO | EPERM });
  prog.push({ label: "kill" }, { code: RET_K, k: RET_KILL_PROCESS });
  return assemble(prog);
}

/** Resolves labels to forward jump offsets and encodes the instructions. */
function assemble(prog: Insn[]): Buffer {
  const at = new Map<string, number>();
  const code: Array<Exclude<Insn, { label: string }>> = [];
  for (const i of prog) {
    if ("label" in i) at.set(i.label, code.length);
    else code.push(i);
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((i, n) => {
    const off = (l?: string) => {
      if (l === undefined) return 0;
      const d = at.get(l)! - n - 1;
      if (!(d >= 0 && d < 256)) throw new Error(`seccomp: jump to ${l} out of range`);
      return d;
    };
    out.writeUInt16LE(i.code, n * 8);
    out.writeUInt8(off(i.jt), n * 8 + 2);
    out.writeUInt8(off(i.jf), n * 8 + 3);
    out.writeUInt32LE(i.k >>> 0, n * 8 + 4);
  });
  return out;
}
