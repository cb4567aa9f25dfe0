import Dockerode from 'dockerode';
import { DEFAULT_SCRIPT_IMAGE } from '../sandbox/containers/runner.js';

/**
 * Whether tests of script containers can run: `false` when a Docker engine answers and the
 * runtime image exists, else the reason to skip them. In CI (CI=true) a missing engine or
 * image is a failure, never a silent skip.
 */
export async function dockerSkip(testFile: string): Promise<string | false> {
  const docker = new Dockerode();
  let problem: string | undefined;
  try {
    await docker.ping();
    await docker
      .getImage(DEFAULT_SCRIPT_IMAGE)
      .inspect()
      .catch(() => {
        problem = `the image ${DEFAULT_SCRIPT_IMAGE} is missing (scripts/provision/runtime-image.sh builds it)`;
      });
  } catch (error) {
    problem = `Docker is not reachable: ${(error as Error).message}`;
  }
  if (!problem) return false;
  if (process.env.CI === 'true') throw new Error(`${testFile} needs Docker in CI: ${problem}`);
  console.warn(`${testFile} skipped: ${problem}`);
  return `skipped: ${problem}`;
}
