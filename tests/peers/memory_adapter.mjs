// In-memory storage for node-oidc-provider's models, shared by the test
// providers (oidc_provider.mjs, ftn_provider.mjs): one map per model name,
// for the life of the process; clients registered through a provider's
// /control/client live here too (the provider looks clients up by id).
const stores = new Map();
export class MemoryAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }
  async upsert(id, payload) { this.store.set(id, { ...payload }); }
  async find(id) { return this.store.get(id); }
  async findByUserCode(code) { return [...this.store.values()].find((p) => p.userCode === code); }
  async findByUid(uid) { return [...this.store.values()].find((p) => p.uid === uid); }
  async consume(id) { const p = this.store.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, p] of this.store) if (p.grantId === grantId) this.store.delete(id);
  }
}
