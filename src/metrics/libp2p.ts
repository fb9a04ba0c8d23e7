// The libp2p `metrics` component every node's host gets (src/net/host.ts): it counts the bytes of every
// connection, both ways, for this node alone, and, for the one node of a process that exports libp2p's own
// metrics, hands everything else to @libp2p/prometheus-metrics. Without that module it answers libp2p's metric
// registrations with objects that do nothing, so a node in a many-node process (createTestnet) pays for little
// more than two additions per message.
//
// Bytes are counted where the upgrader hands over each raw connection (`trackMultiaddrConnection`, before the
// private-network protector and noise): what crosses the wire, encryption and muxing included. As
// @libp2p/prometheus-metrics does, `send` and `dispatchEvent` are wrapped rather than a `message` listener added:
// a listener would make the connection dispatch data before the upgrader reads it.
import { serviceCapabilities } from '@libp2p/interface'
import type { Metrics, MultiaddrConnection, Stream, StreamMessageEvent } from '@libp2p/interface'

/** Where a connection's byte counts go. */
export interface ByteCounts {
  received: (bytes: number) => void
  sent: (bytes: number) => void
  /**
   * Bytes of one protocol's streams, as the protocol wrote and read them (its own framing included; yamux and
   * noise framing and multistream-select negotiation not). Not counted when absent.
   */
  protocol?: (protocol: string, direction: 'sent' | 'received', bytes: number) => void
}

/** One object for every kind of metric libp2p may register: it records nothing. */
const NOTHING = {
  update () {},
  increment () {},
  decrement () {},
  reset () {},
  observe () {},
  timer: () => () => {}
}

/**
 * A libp2p Metrics that counts connection bytes into `counts` and passes everything (the counting included) on to
 * `inner` when given (prometheus-metrics), else records nothing else.
 */
export function trafficMetrics (counts: ByteCounts, inner?: Metrics): Metrics {
  // A calculated metric (`options.calculate`) is read at scrape time and returns nothing to its caller.
  const register = (_name: string, options?: { calculate?: unknown }): typeof NOTHING | undefined =>
    options?.calculate === undefined ? NOTHING : undefined
  const metrics = {
    [Symbol.toStringTag]: 'chord-peer:traffic-metrics',
    [serviceCapabilities]: ['@libp2p/metrics'],
    trackMultiaddrConnection (maConn: MultiaddrConnection): void {
      const dispatchEvent = maConn.dispatchEvent.bind(maConn)
      maConn.dispatchEvent = (event: Event): boolean => {
        if (event.type === 'message') counts.received((event as StreamMessageEvent).data.byteLength)
        return dispatchEvent(event)
      }
      const send = maConn.send.bind(maConn)
      maConn.send = (data): boolean => {
        counts.sent(data.byteLength)
        return send(data)
      }
      inner?.trackMultiaddrConnection(maConn)
    },
    trackProtocolStream (stream: Stream): void {
      const count = counts.protocol
      const protocol = stream.protocol
      if (count !== undefined && protocol !== undefined) {
        const dispatchEvent = stream.dispatchEvent.bind(stream)
        stream.dispatchEvent = (event: Event): boolean => {
          if (event.type === 'message') count(protocol, 'received', (event as StreamMessageEvent).data.byteLength)
          return dispatchEvent(event)
        }
        const send = stream.send.bind(stream)
        stream.send = (data): boolean => {
          count(protocol, 'sent', data.byteLength)
          return send(data)
        }
      }
      inner?.trackProtocolStream(stream)
    },
    registerMetric: inner?.registerMetric.bind(inner) ?? register,
    registerMetricGroup: inner?.registerMetricGroup.bind(inner) ?? register,
    registerCounter: inner?.registerCounter.bind(inner) ?? register,
    registerCounterGroup: inner?.registerCounterGroup.bind(inner) ?? register,
    registerHistogram: inner?.registerHistogram.bind(inner) ?? register,
    registerHistogramGroup: inner?.registerHistogramGroup.bind(inner) ?? register,
    registerSummary: inner?.registerSummary.bind(inner) ?? register,
    registerSummaryGroup: inner?.registerSummaryGroup.bind(inner) ?? register,
    traceFunction: inner?.traceFunction.bind(inner) ?? ((_name: string, fn: unknown) => fn),
    createTrace: inner?.createTrace.bind(inner) ?? (() => undefined),
    // prometheus-metrics is Startable (its stop clears its per-protocol counts); libp2p starts its components.
    start: async () => { await (inner as Partial<{ start: () => unknown }> | undefined)?.start?.() },
    stop: async () => { await (inner as Partial<{ stop: () => unknown }> | undefined)?.stop?.() }
  }
  return metrics as unknown as Metrics
}
