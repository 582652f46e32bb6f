// The filters that turn a decoded frame into what a viewer of the video sees, at a given size:
// the display aspect (rotation is applied by ffmpeg before any filter, non-square pixels here),
// and HDR (PQ, HLG) tone-mapped to BT.709 SDR. No output is ever made without them.
import type { VideoProbe } from './probe-video.js';
import type { PixelSize } from './thumbnail-size.js';

/** BT.2408's HDR reference white: what SDR's 100% white corresponds to. */
const SDR_WHITE_NITS = 203;
/** What PQ content is taken to peak at when the container does not say (a common mastering peak). */
const ASSUMED_PQ_PEAK_NITS = 1000;
/** Mobius keeps everything below this share of SDR white as it is: skin and mid-tones look as graded. */
const MOBIUS_LINEAR_UP_TO = 0.6;

/**
 * zscale linearises with SDR white at 1.0, tonemap (mobius: linear up to MOBIUS_LINEAR_UP_TO, then a
 * smooth roll-off to the content's peak) folds the highlights under it, zscale re-encodes as BT.709. HLG
 * is scene-referred: shown as on an SDR display, its peak is SDR white, so nothing is folded.
 */
function toneMapFilters(probe: VideoProbe): string[] {
  const { transfer, primaries, matrix, range } = probe.colour;
  const peak = probe.hdr === 'pq' ? Math.max(1, (probe.peakNits ?? ASSUMED_PQ_PEAK_NITS) / SDR_WHITE_NITS) : 1;
  return [
    // The frames are tagged with setparams, not zscale's tin/pin/min/rin: ffmpeg 5.1's zscale ignores
    // those for frames whose own tags are unset, and fails with "no path between colorspaces".
    `setparams=color_primaries=${primaries}:color_trc=${transfer}:colorspace=${matrix}:range=${range}`,
    `zscale=t=linear:npl=${SDR_WHITE_NITS}`,
    'format=gbrpf32le',
    'zscale=p=bt709',
    `tonemap=tonemap=mobius:param=${MOBIUS_LINEAR_UP_TO}:peak=${peak.toFixed(3)}:desat=0`,
    'zscale=t=bt709:m=bt709:r=tv',
    'format=yuv420p',
  ];
}

/** Scaled first, so an HDR frame is tone-mapped at the output size, not the source's. */
export function displayFilters(probe: VideoProbe, size: PixelSize): string[] {
  return [`scale=${size.width}:${size.height}`, 'setsar=1', ...(probe.hdr ? toneMapFilters(probe) : [])];
}
