// The node's identity key, kept in the data dir so a restarted daemon keeps its PeerId (and so its ring id).
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

export const KEY_FILE = 'peer.key'

/** Load `<dataDir>/peer.key`, or create an Ed25519 key there (mode 0600) when there is none. */
export async function loadOrCreateKey (dataDir: string): Promise<PrivateKey> {
  const file = join(dataDir, KEY_FILE)
  try {
    return privateKeyFromProtobuf(await readFile(file))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(
      `cannot read identity key ${file}: ${(err as Error).message}`, { cause: err })
  }
  const key = await newKey()
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600, flush: true })
  await rename(tmp, file)
  return key
}

/** A fresh Ed25519 identity key. */
export async function newKey (): Promise<PrivateKey> {
  return generateKeyPair('Ed25519')
}
