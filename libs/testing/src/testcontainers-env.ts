/**
 * Testcontainers defaults for a host-network setup, applied unless the environment already
 * says otherwise: containers are reached on loopback (its host detection would look for a
 * `bridge` network, which this setup never creates), and the Ryuk reaper, whose image comes
 * from a public registry, stays off; tests stop their own containers.
 */
export function useHostNetworkDefaults(): void {
  process.env['TESTCONTAINERS_HOST_OVERRIDE'] ??= '127.0.0.1';
  process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';
}
