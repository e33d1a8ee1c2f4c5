"""A ``.keras`` archive's HDF5 weights file, checked to be self-contained before it is read.

HDF5 lets a dataset keep its bytes in other files (external storage), be assembled from
datasets of other files (virtual datasets), or a link point into another file (external
links). Reading such a weights file would read whatever those other files hold into the
model, any file the user can read. A digit model's weights are always stored inside it, so
each of these is refused.
"""

from __future__ import annotations

from digitpad.core.registry import ModelError


def check_self_contained(h5) -> None:
    """Raise ModelError naming the first object of the open ``h5py.File`` ``h5`` whose data
    lives outside it: a dataset with external storage, a virtual dataset, an external link."""
    import h5py

    pending = [h5]
    while pending:
        group = pending.pop()
        for name in group:
            link = group.get(name, getlink=True)
            where = f"{group.name.rstrip('/')}/{name}"
            if isinstance(link, h5py.ExternalLink):
                raise ModelError(f"the weights file links {where} to another file "
                                 f"({link.filename!r}); digitpad reads only weights stored "
                                 f"in the model file")
            if not isinstance(link, h5py.HardLink):
                continue  # a soft link names an object inside this file: seen where it is
            item = group[name]
            if isinstance(item, h5py.Group):
                pending.append(item)
            elif isinstance(item, h5py.Dataset):
                if item.is_virtual:
                    raise ModelError(f"the weights file's {where} is a virtual dataset, made "
                                     f"from other files; digitpad reads only weights stored "
                                     f"in the model file")
                if item.id.get_create_plist().get_external_count():
                    raise ModelError(f"the weights file's {where} is stored in another file "
                                     f"({item.external[0][0]!r}); digitpad reads only weights "
                                     f"stored in the model file")
