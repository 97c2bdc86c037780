// An order-statistic treap over a sequence CRDT's items, tombstones included. Each node counts the
// visible (not deleted) items of its subtree, so "visible index → item" and "item → visible index"
// are O(log n) expected, and an insert or delete touches one root path instead of copying the list.
// Parent pointers let a caller holding a node (found by id in a Map) walk up to its index.

export interface TreeNode {
  left: TreeNode | null;
  right: TreeNode | null;
  parent: TreeNode | null;
  /** Heap priority (random): keeps the expected depth O(log n) whatever the insertion order. */
  prio: number;
  /** Visible items in this subtree. */
  size: number;
  /** Counted in `size`? (false for a tombstone) */
  visible: boolean;
}

const sizeOf = (node: TreeNode | null): number => (node ? node.size : 0);
const update = (node: TreeNode): void => {
  node.size = (node.visible ? 1 : 0) + sizeOf(node.left) + sizeOf(node.right);
};

export class OrderTree<N extends TreeNode> {
  private root: N | null = null;

  /** Visible items. */
  get size(): number {
    return sizeOf(this.root);
  }

  first(): N | null {
    return this.root ? this.leftmost(this.root) : null;
  }

  last(): N | null {
    let node = this.root;
    while (node?.right) node = node.right as N;
    return node;
  }

  /** The next node in sequence order (tombstones included); amortized O(1) over a walk. */
  next(node: N): N | null {
    if (node.right) return this.leftmost(node.right as N);
    let child: TreeNode = node;
    let parent = node.parent;
    while (parent && parent.right === child) {
      child = parent;
      parent = parent.parent;
    }
    return parent as N | null;
  }

  /** The visible node at `index` (0-based), or null past the end. */
  at(index: number): N | null {
    let node = this.root as TreeNode | null;
    let rest = index;
    while (node) {
      const left = sizeOf(node.left);
      if (rest < left) node = node.left;
      else if (rest === left && node.visible) return node as N;
      else {
        rest -= left + (node.visible ? 1 : 0);
        node = node.right;
      }
    }
    return null;
  }

  /** Visible items before `node` (its index if it is visible). */
  indexOf(node: N): number {
    let index = sizeOf(node.left);
    let child: TreeNode = node;
    for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
      if (parent.right === child) index += sizeOf(parent.left) + (parent.visible ? 1 : 0);
    }
    return index;
  }

  /** Inserts `node` right before `before` (null: at the end). */
  insertBefore(node: N, before: N | null): void {
    node.left = node.right = node.parent = null;
    update(node);
    if (!this.root) {
      this.root = node;
      return;
    }
    let parent: TreeNode;
    if (!before) {
      parent = this.last()!;
      parent.right = node;
    } else if (!before.left) {
      parent = before;
      before.left = node;
    } else {
      parent = before.left;
      while (parent.right) parent = parent.right;
      parent.right = node;
    }
    node.parent = parent;
    if (node.visible) for (let up: TreeNode | null = parent; up; up = up.parent) up.size += 1;
    while (node.parent && node.parent.prio < node.prio) this.rotateUp(node);
  }

  /** Marks a node visible or not, fixing the counts on its root path. */
  setVisible(node: N, visible: boolean): void {
    if (node.visible === visible) return;
    node.visible = visible;
    const delta = visible ? 1 : -1;
    for (let up: TreeNode | null = node; up; up = up.parent) up.size += delta;
  }

  /** Unlinks a node: rotated down to a leaf first, so no subtree is rebuilt. */
  remove(node: N): void {
    this.setVisible(node, false);
    for (;;) {
      const { left, right } = node;
      if (!left && !right) break;
      const child = !left ? right! : !right ? left : left.prio > right.prio ? left : right;
      this.rotateUp(child as N);
    }
    const parent = node.parent;
    if (!parent) this.root = null;
    else if (parent.left === node) parent.left = null;
    else parent.right = null;
    node.parent = null;
  }

  /**
   * Hides every visible node `hide` says to (it is asked about each node, in order, tombstones
   * included), then recounts the whole tree once: O(n) for any number of hidden nodes, where hiding
   * them one by one would walk a root path each. Returns how many were hidden.
   */
  hideWhere(hide: (node: N) => boolean): number {
    let hidden = 0;
    this.forEach((node) => {
      if (hide(node) && node.visible) {
        node.visible = false;
        hidden += 1;
      }
    });
    if (hidden > 0) this.recount();
    return hidden;
  }

  /** In-order walk, tombstones included. O(n), no recursion (a sorted insert order can make deep paths before rotations). */
  forEach(visit: (node: N) => void): void {
    for (let node = this.first(); node; node = this.next(node)) visit(node);
  }

  /** Every node's count again, children before parents (post-order through the parent pointers, no recursion). */
  private recount(): void {
    let node = this.root as TreeNode | null;
    let from: TreeNode | null = null;
    while (node) {
      if (from === node.parent && node.left) {
        from = node;
        node = node.left;
      } else if ((from === node.parent || from === node.left) && node.right) {
        from = node;
        node = node.right;
      } else {
        update(node);
        from = node;
        node = node.parent;
      }
    }
  }

  private leftmost(node: N): N {
    let current: TreeNode = node;
    while (current.left) current = current.left;
    return current as N;
  }

  /** Rotates `node` above its parent, keeping in-order order and the counts. */
  private rotateUp(node: N): void {
    const parent = node.parent!;
    const grand = parent.parent;
    if (parent.left === node) {
      parent.left = node.right;
      if (node.right) node.right.parent = parent;
      node.right = parent;
    } else {
      parent.right = node.left;
      if (node.left) node.left.parent = parent;
      node.left = parent;
    }
    parent.parent = node;
    node.parent = grand;
    if (!grand) this.root = node;
    else if (grand.left === parent) grand.left = node;
    else grand.right = node;
    update(parent);
    update(node);
  }
}
