// The pixel size of one thumbnail: the requested width, never wider than the source, with the
// display aspect ratio kept and both sides even (what 4:2:0 encoders need).

export type PixelSize = { width: number; height: number };

const even = (value: number) => Math.max(2, 2 * Math.round(value / 2));

/** `source` is the display size (after rotation and sample aspect ratio). */
export function thumbnailSize(requestedWidth: number, source: PixelSize): PixelSize {
  const width = even(Math.min(requestedWidth, source.width - (source.width % 2)));
  return { width, height: even((width * source.height) / source.width) };
}
