import { type GitHubPort, isGitHubError, LOCK_REF } from "../github/port.js";
import type { LeaseStore } from "./lease-lock.js";

/** The lease lock's git operations, through the pass's port (the only way to GitHub). */
export function portLeaseStore(port: GitHubPort): LeaseStore {
  return {
    createTree: () =>
      port.createTree({ LEASE: "Conveyor's lease lock: see the commit message.\n" }),
    createCommit: ({ message, tree, parents }) => port.createCommit(message, tree, parents),
    async createRef(sha) {
      try {
        await port.createRef(LOCK_REF, sha);
        return true;
      } catch (e: unknown) {
        if (isGitHubError(e, 422)) return false;
        throw e;
      }
    },
    readRef: () => port.getRef(LOCK_REF),
    readCommitMessage: (sha) => port.getCommitMessage(sha),
    async fastForwardRef(sha) {
      try {
        await port.fastForwardRef(LOCK_REF, sha);
        return true;
      } catch (e: unknown) {
        if (isGitHubError(e, 422)) return false;
        throw e;
      }
    },
    async deleteRef() {
      try {
        await port.deleteRef(LOCK_REF);
      } catch (e: unknown) {
        // Already gone (422 "Reference does not exist" or 404): released either way.
        if (!isGitHubError(e, 404) && !isGitHubError(e, 422)) throw e;
      }
    },
  };
}
