// Blocks grouped into messages Slack takes. Besides 50 blocks a message, Slack refuses one whose blocks
// hold more than about 13,000 characters of JSON in all (msg_blocks_too_long, below the documented
// limits; slackapi/bolt-js#2509), so each message gets a character budget with room to spare.
import { type Block, LIMITS } from './blocks.js';

/** Characters of blocks JSON per message: the budget the answers' pages keep too. */
export const MESSAGE_BLOCKS_BUDGET = LIMITS.messageChars;

export function fitsOneMessage(blocks: readonly Block[]): boolean {
  return blocks.length <= LIMITS.blocks && JSON.stringify(blocks).length <= MESSAGE_BLOCKS_BUDGET;
}

/** The blocks, in order, as few messages as fit; a block is never split. */
export function splitIntoMessages(blocks: readonly Block[]): Block[][] {
  const messages: Block[][] = [];
  let current: Block[] = [];
  let size = 2; // the array's brackets
  for (const block of blocks) {
    const blockSize = JSON.stringify(block).length;
    if (
      current.length > 0 &&
      (current.length === LIMITS.blocks || size + 1 + blockSize > MESSAGE_BLOCKS_BUDGET)
    ) {
      messages.push(current);
      current = [];
      size = 2;
    }
    size += blockSize + (current.length > 0 ? 1 : 0); // a comma between blocks
    current.push(block);
  }
  if (current.length > 0) messages.push(current);
  return messages;
}
