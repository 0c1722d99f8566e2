// Pictures in Slack: the digest's trend drawn from the store's history, and the upload of any picture
// with the Web API's current flow (files.uploadV2: files.getUploadURLExternal, the bytes to the URL it
// gives, files.completeUploadExternal) and alt text. A token without files:write gets text answers
// only, and the channel and the log are told so once.
import type { WebClient } from '@slack/web-api';
import { MESH_SCOPE } from '../../src/digest/baseline.js';
import { isComplete, type Posture } from '../../src/digest/posture.js';
import type { Picture } from '../../src/render/pictures/picture.js';
import type { StateStore } from '../../src/store/sqlite-store.js';
import type { BotDeps } from './deps.js';

const NO_FILES_SCOPE = new Set(['missing_scope', 'not_allowed_token_type']);
let noScopeSaid = false;

export const NO_SCOPE_NOTE =
  ':frame_with_picture: Pictures are off: this app lacks the `files:write` scope, so answers stay text only. Add the scope (manifest.yml has it) and reinstall the app to get them.';

/**
 * The last 30 days of the mesh's posture, ending with `posture` unless `saved` (the store holds it
 * already: scheduled digests). A posture read incompletely is left out: its score may be wrong, and it
 * is not stored either.
 */
export async function digestPicture(store: StateStore, posture: Posture, saved: boolean): Promise<Picture> {
  const { renderTrendPicture, trendSince } = await import('../../src/render/pictures/posture-trend.js');
  const now = new Date(posture.takenAt);
  const history = store.postureHistory(MESH_SCOPE, trendSince(now));
  return renderTrendPicture(saved || !isComplete(posture) ? history : [...history, posture], now);
}

/** Draws (if asked to) and uploads a picture to the channel; failures are logged, never thrown. */
export async function postPicture(
  client: WebClient,
  channel: string,
  picture: Picture | (() => Promise<Picture>),
  deps: Pick<BotDeps, 'logger' | 'metrics'>,
): Promise<'uploaded' | 'no-scope' | 'failed'> {
  let drawn: Picture;
  try {
    drawn = typeof picture === 'function' ? await picture() : picture;
  } catch (error) {
    deps.logger.warn({ channel, err: (error as Error).message }, 'could not draw the picture');
    return 'failed';
  }
  try {
    await client.filesUploadV2({
      channel_id: channel,
      file: Buffer.from(drawn.png),
      filename: drawn.filename,
      title: drawn.title,
      alt_text: drawn.alt,
    });
    return 'uploaded';
  } catch (error) {
    deps.metrics.slackErrors.inc({ method: 'files.uploadV2' });
    const code = (error as { data?: { error?: string } }).data?.error ?? '';
    if (!NO_FILES_SCOPE.has(code)) {
      deps.logger.warn({ channel, err: (error as Error).message }, 'picture upload failed');
      return 'failed';
    }
    if (!noScopeSaid) {
      noScopeSaid = true;
      deps.logger.warn(
        { channel, error: code },
        'pictures are off: the bot token lacks files:write, answers stay text only',
      );
      await client.chat.postMessage({ channel, text: NO_SCOPE_NOTE }).catch(() => {});
    }
    return 'no-scope';
  }
}
