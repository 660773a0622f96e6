/**
 * The pod's volumes and the main container's mounts, checked as they are added, so that what the
 * API server would refuse (two volumes with one name, two mounts at one path) or what would
 * silently shadow Sluice's own mounts fails here, naming the field that caused it.
 */
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { isDnsLabel } from './names';
import { podSpecError } from './pod-spec-error';

function canonical(mountPath: string): string {
  return mountPath.length > 1 ? mountPath.replace(/\/+$/, '') : mountPath;
}

/** True when `path` is `dir` or below it. */
export function isWithin(path: string, dir: string): boolean {
  const [p, d] = [canonical(path), canonical(dir)];
  return p === d || p.startsWith(d === '/' ? d : `${d}/`);
}

/** @throws PodSpecError unless `mountPath` is absolute and has no `.` or `..` segment. */
export function checkMountPath(mountPath: string, path: string): string {
  const segments = mountPath.split('/');
  if (!mountPath.startsWith('/') || segments.includes('..') || segments.includes('.')) {
    throw podSpecError(path, `mountPath '${mountPath}' must be an absolute path without '.' or '..' segments`);
  }
  return canonical(mountPath);
}

function checkSubPath(subPath: string, path: string): void {
  if (subPath.startsWith('/') || subPath.split('/').includes('..')) {
    throw podSpecError(path, `subPath '${subPath}' must be a relative path inside the volume (no leading '/', no '..')`);
  }
}

export class PodVolumes {
  readonly volumes: V1Volume[] = [];
  readonly mounts: V1VolumeMount[] = [];
  private readonly volumeOwners = new Map<string, { volume: V1Volume; path: string }>();
  private readonly mountOwners = new Map<string, string>();
  /** Sluice's own mounts, which nothing may be mounted at or inside. */
  private readonly reserved: { mountPath: string; what: string }[] = [];

  /**
   * Adds `volume`, or nothing when the very same volume is there (one PVC mounted at two paths
   * is one volume). `path` is the field that asked for it.
   */
  addVolume(volume: V1Volume, path: string): void {
    if (!isDnsLabel(volume.name)) {
      throw podSpecError(path, `volume name '${volume.name}' is not a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters)`);
    }
    const existing = this.volumeOwners.get(volume.name);
    if (existing && JSON.stringify(existing.volume) === JSON.stringify(volume)) return;
    if (existing) throw podSpecError(path, `volume name collision: '${volume.name}' already names a different volume (${existing.path})`);
    this.volumeOwners.set(volume.name, { volume, path });
    this.volumes.push(volume);
  }

  hasVolume(name: string): boolean {
    return this.volumeOwners.has(name);
  }

  /** Mounts a volume in the main container; `reservedFor` marks one of Sluice's own mounts. */
  mount(mount: V1VolumeMount, path: string, reservedFor?: string): void {
    const mountPath = checkMountPath(mount.mountPath, path);
    if (mount.subPath !== undefined) checkSubPath(mount.subPath, path);
    const owner = this.mountOwners.get(mountPath);
    if (owner) throw podSpecError(path, `mountPath collision: ${mount.mountPath} is already mounted (${owner})`);
    const shadowed = this.reserved.find((reserved) => isWithin(mountPath, reserved.mountPath));
    if (shadowed) throw podSpecError(path, `mountPath ${mount.mountPath} is inside ${shadowed.mountPath}, where ${shadowed.what} is mounted`);
    this.mountOwners.set(mountPath, path);
    if (reservedFor) this.reserved.push({ mountPath, what: reservedFor });
    this.mounts.push(mount);
  }
}
