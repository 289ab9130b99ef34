import type { ProbotOctokit } from "probot";
import { httpStatus } from "../github/http-errors.js";
import { type LeaseStore, LOCK_REF } from "./lease-lock.js";

type Request = ProbotOctokit["request"];

const REF = LOCK_REF.replace(/^refs\//, "");

/** The lease lock's git operations over the REST git data API. */
export function octokitLeaseStore(
  octokit: { request: Request },
  owner: string,
  repo: string,
): LeaseStore {
  const r = octokit.request;
  return {
    async createTree() {
      const res = await r("POST /repos/{owner}/{repo}/git/trees", {
        owner,
        repo,
        tree: [
          {
            path: "LEASE",
            mode: "100644",
            type: "blob",
            content: "Conveyor's lease lock: see the commit message.\n",
          },
        ],
      });
      return res.data.sha;
    },
    async createCommit({ message, tree, parents }) {
      const res = await r("POST /repos/{owner}/{repo}/git/commits", {
        owner,
        repo,
        message,
        tree,
        parents,
      });
      return res.data.sha;
    },
    async createRef(sha) {
      try {
        await r("POST /repos/{owner}/{repo}/git/refs", { owner, repo, ref: LOCK_REF, sha });
        return true;
      } catch (e: unknown) {
        if (httpStatus(e) === 422) return false;
        throw e;
      }
    },
    async readRef() {
      try {
        const res = await r("GET /repos/{owner}/{repo}/git/ref/{ref}", { owner, repo, ref: REF });
        return res.data.object.sha;
      } catch (e: unknown) {
        if (httpStatus(e) === 404) return undefined;
        throw e;
      }
    },
    async readCommitMessage(sha) {
      const res = await r("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", {
        owner,
        repo,
        commit_sha: sha,
      });
      return res.data.message;
    },
    async fastForwardRef(sha) {
      try {
        await r("PATCH /repos/{owner}/{repo}/git/refs/{ref}", {
          owner,
          repo,
          ref: REF,
          sha,
          force: false,
        });
        return true;
      } catch (e: unknown) {
        if (httpStatus(e) === 422) return false;
        throw e;
      }
    },
    async deleteRef() {
      try {
        await r("DELETE /repos/{owner}/{repo}/git/refs/{ref}", { owner, repo, ref: REF });
      } catch (e: unknown) {
        // Already gone (422 "Reference does not exist" or 404): released either way.
        const status = httpStatus(e);
        if (status !== 404 && status !== 422) throw e;
      }
    },
  };
}
