// What the catalog needs of a tenant bucket, as an interface the server's object-storage adapter
// satisfies: listings and reads for ingest and the reconcile, deletes for DELETE /videos/:id and
// late outputs. The catalog never builds an S3 command; no read path of the API calls these.
export type BucketObject = { key: string; size: number; lastModified: Date };

export type BucketObjects = {
  list(bucket: string, options: { prefix: string; startAfter?: string; maxKeys?: number }): Promise<{ objects: BucketObject[]; truncated: boolean }>;
  /** The parsed JSON body of an object, or undefined when it does not exist. */
  readJson(bucket: string, key: string): Promise<unknown>;
  /** The object's size, type and time, or undefined when it does not exist. */
  head(bucket: string, key: string): Promise<{ size: number; contentType: string; lastModified: Date } | undefined>;
  /** Deletes these keys (at most 1,000); a key that does not exist is not an error. */
  deleteObjects(bucket: string, keys: string[]): Promise<void>;
};

/** Every object under `prefix`, page by page. */
export async function* objectsUnder(store: Pick<BucketObjects, 'list'>, bucket: string, prefix: string): AsyncGenerator<BucketObject[]> {
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(bucket, { prefix, startAfter, maxKeys: 1000 });
    if (page.objects.length > 0) yield page.objects;
    if (!page.truncated || page.objects.length === 0) return;
    startAfter = page.objects.at(-1)!.key;
  }
}

/** Deletes every object under `prefix`. */
export async function deleteUnder(store: Pick<BucketObjects, 'list' | 'deleteObjects'>, bucket: string, prefix: string): Promise<void> {
  for await (const objects of objectsUnder(store, bucket, prefix)) await store.deleteObjects(bucket, objects.map((object) => object.key));
}
