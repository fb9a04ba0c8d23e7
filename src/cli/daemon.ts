// The daemon: `chord-peer [--bootstrap] [--connect <maddr>]...` starts a node with createPeer and keeps it
// running until SIGINT/SIGTERM, then leaves the ring gracefully (the leaver hands its files to its successor).
// A second signal while leaving exits at once.
import { resolve } from 'node:path'
import { fieldBlock } from './format.js'
import { EXIT_FAILED, EXIT_OK } from './context.js'
import { loadCreatePeer } from './peer-contract.js'
import { CONFIG_FILE, saveDaemonConfig } from './daemon-config.js'
import { startLog } from '../log.js'
import type { Printers } from './context.js'
import type { DaemonPlan } from './daemon-options.js'
import type { CreatePeer, DaemonPeer } from './peer-contract.js'

export type StopSignal = 'SIGINT' | 'SIGTERM'

/** process, or an EventEmitter in tests. */
export interface SignalSource {
  on (signal: StopSignal, listener: () => void): unknown
  off (signal: StopSignal, listener: () => void): unknown
}

export interface DaemonIo extends Printers {
  /** One line to stderr. */
  printErr: (text: string) => void
  /** Default: createPeer from src/peer.ts, loaded on demand. */
  createPeer?: CreatePeer
  /** Default: process. */
  signals?: SignalSource
  /** Called on a second signal. Default: process.exit. */
  exit?: (code: number) => void
}

const STOP_SIGNALS: StopSignal[] = ['SIGINT', 'SIGTERM']

export async function runDaemon (io: DaemonIo, plan: DaemonPlan): Promise<number> {
  const signals = io.signals ?? process
  const exit = io.exit ?? ((code: number) => process.exit(code))
  for (const warning of plan.warnings) io.printErr(`warning: ${warning}`)

  let received = 0
  let onFirstSignal: (signal: StopSignal) => void = () => {}
  const stopRequested = new Promise<StopSignal>(resolve => { onFirstSignal = resolve })
  const listeners = STOP_SIGNALS.map(signal => {
    const listener = (): void => {
      received++
      if (received === 1) {
        onFirstSignal(signal)
      } else {
        io.printErr(`${signal} again: exiting without leaving the ring`)
        exit(EXIT_FAILED)
      }
    }
    signals.on(signal, listener)
    return { signal, listener }
  })

  let stopLog: (() => void) | undefined
  try {
    const createPeer = io.createPeer ?? await loadCreatePeer()
    io.print(`starting a ${plan.role}…`)
    // createPeer cannot be aborted (a join may retry for joinTimeoutMs): a signal meanwhile stops it once up.
    // Each failed round of a join is said at once, not only the last after --join-timeout.
    const onJoinRetry = (err: Error, attempt: number): void => {
      io.printErr(`join attempt ${attempt} failed: ${err.message} (retrying until --join-timeout)`)
    }
    const peer = await createPeer({ ...plan.options, onJoinRetry })
    // Stored once the node runs (its data dir locked), so `chord-peer --data-dir <dir>` alone starts it again.
    const dataDir = plan.options.dataDir
    if (dataDir !== undefined) {
      await saveDaemonConfig(dataDir, plan.config, peer.multiaddrs).catch((err: Error) => {
        io.printErr(`warning: cannot write ${CONFIG_FILE} in ${dataDir} (${err.message}): a restart will need the flags again`)
      })
    }
    io.print(banner(peer, plan))
    // The log begins with what the node did while it started (its join), which its events still hold.
    stopLog = peer.events === undefined
      ? undefined
      : startLog(peer.events, { ...plan.log, stream: { write: (text: string) => { io.printErr(text.replace(/\n$/, '')) } } })
    const signal = await stopRequested
    io.print(`${signal}: leaving the ring… (${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to exit at once)`)
    await peer.stop()
    io.print('left the ring')
    return EXIT_OK
  } finally {
    stopLog?.()
    for (const { signal, listener } of listeners) signals.off(signal, listener)
  }
}

function banner (peer: DaemonPeer, plan: DaemonPlan): string {
  const lines = [fieldBlock([
    ['peer id', peer.peerId],
    ['role', plan.role],
    ['listening', peer.multiaddrs],
    ['api', peer.apiUrl ?? 'off'],
    ...(peer.metricsUrl !== undefined ? [['metrics', `${peer.metricsUrl}/metrics`] as [string, string]] : []),
    ['data dir', plan.options.dataDir ?? '-']
  ])]
  if (plan.options.dataDir !== undefined) lines.push(`restart with: chord-peer --data-dir ${plan.options.dataDir}`)
  if (plan.options.swarmKey !== undefined) lines.push('private network: only nodes with the same swarm key file can connect')
  if (plan.role === 'supernode' && peer.multiaddrs.length > 0) {
    // With a data dir of their own: the one this daemon uses is locked while it runs.
    lines.push(`others join with: chord-peer --connect ${peer.multiaddrs[0]} --data-dir ${otherDataDir(plan.options.dataDir)}`)
  }
  lines.push('press Ctrl-C to leave the ring')
  return lines.join('\n')
}

/** A data dir for the join hint that is not `ours`: `./peer2`, or `./peer3` if ours is `./peer2`. */
export function otherDataDir (ours: string | undefined, cwd = process.cwd()): string {
  return ours !== undefined && resolve(cwd, 'peer2') === resolve(cwd, ours) ? './peer3' : './peer2'
}
