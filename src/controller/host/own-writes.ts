// The resourceVersions of the host objects mcdns itself just wrote (record status and
// finalizers, DNSEndpoints). Their watch events come back to the host view; one that carries a
// version we wrote is our own echo and must not queue the record again (each such echo used to
// cost a second full reconcile per record on a cold start).

/** Versions kept per object: a reconcile writes at most a few (finalizer, status, DNSEndpoint). */
const KEEP = 4;

export class OwnWrites {
  private readonly versions = new Map<string, string[]>();

  /** Notes that our write left `objectKey` at `resourceVersion`. */
  wrote(objectKey: string, resourceVersion: string | undefined): void {
    if (!resourceVersion) return;
    const list = this.versions.get(objectKey) ?? [];
    list.push(resourceVersion);
    if (list.length > KEEP) list.shift();
    this.versions.set(objectKey, list);
  }

  /** True (once) when a watch event shows the object at a version we wrote. */
  isEcho(objectKey: string, resourceVersion: string | undefined): boolean {
    const list = this.versions.get(objectKey);
    if (!list || !resourceVersion) return false;
    const i = list.indexOf(resourceVersion);
    if (i < 0) return false;
    // Versions up to this one are seen; a newer write of ours may still be on its way.
    list.splice(0, i + 1);
    if (list.length === 0) this.versions.delete(objectKey);
    return true;
  }

}
